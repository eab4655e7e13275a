"""Hand-built valid worlds: the same small data as raw CSV text and as canonical typed tables.

The typed version is written out by hand (not produced by the code under test), so a test
that validates the raw version and compares with it checks coercion for real.
"""

from __future__ import annotations

from io import StringIO

import numpy as np
import pandas as pd
import pytest

from features.validate import ValidationReport

RAW_CSV: dict[str, str] = {
    "customers": """customer_id,name,industry,country,segment,credit_limit,payment_terms_days,\
onboarding_date
C1,Acme,retail,DE,key,50000,30,2020-01-15
C2,Bolt,manufacturing,FR,general,20000.5,45,2021-06-01
C3,Cobalt,,,potential,,30,
C4,Dune,services,NL,strategic,100000,60,2019-03-10
""",
    "invoices": """invoice_id,customer_id,issue_date,due_date,amount,currency,cleared_date,\
disputed,paperless
I1,C1,2023-01-05,2023-02-04,1000.0,EUR,2023-02-01,false,true
I2,C1,2023-02-05,2023-03-07,250.5,EUR,,False,NO
I3,C2,2023-01-10,2023-02-24,4000,EUR,2023-03-15,TRUE,yes
I4,C3,2023-03-01,2023-03-31,99.99,,,,
I5,C4,2023-01-20,2023-03-21,12000.0,USD,2023-03-21 00:00:00,0,1
I6,C2,2023-04-01,2023-04-01,800.0,EUR,2023-04-01,false,false
""",
    "payments": """payment_id,invoice_id,payment_date,amount
P1,I1,2023-02-01,1000.0
P2,I3,2023-02-28,1500.0
P3,I3,2023-03-15,2500.0
P4,I2,2023-03-01,100.0
P5,I5,2023-03-21,12000.0
""",
    "signals": """customer_id,observed_date,name,value
C1,2023-01-31,credit_rating,7
C2,2023-02-28,bank_credit_line,150000
C4,2023-03-31,lawsuits_open,0
""",
    "deals": """deal_id,customer_id,created_date,amount,payment_terms_days,stage
D1,C1,2023-03-01,5000,30,open
D2,C2,2023-03-15,12000.0,45,won
D3,C4,2023-04-01,30000,,lost
""",
}


def read_raw_csv(text: str) -> pd.DataFrame:
    """Read CSV text exactly as `features.tables.read_raw_table` reads a CSV file."""
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, na_values=[""])


def raw_world() -> dict[str, pd.DataFrame]:
    """The valid world as raw text tables, as read from CSV files."""
    return {name: read_raw_csv(text) for name, text in RAW_CSV.items()}


def _str(*values: str | None) -> pd.Series:
    return pd.Series([np.nan if v is None else v for v in values], dtype="str")


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def typed_world() -> dict[str, pd.DataFrame]:
    """The same world, typed by hand to the canonical dtypes of `features.schema`."""
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": _str("C1", "C2", "C3", "C4"),
                "name": _str("Acme", "Bolt", "Cobalt", "Dune"),
                "industry": _str("retail", "manufacturing", None, "services"),
                "country": _str("DE", "FR", None, "NL"),
                "segment": _str("key", "general", "potential", "strategic"),
                "credit_limit": pd.Series([50000.0, 20000.5, np.nan, 100000.0]),
                "payment_terms_days": pd.Series([30, 45, 30, 60], dtype="Int64"),
                "onboarding_date": _dates("2020-01-15", "2021-06-01", None, "2019-03-10"),
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": _str("I1", "I2", "I3", "I4", "I5", "I6"),
                "customer_id": _str("C1", "C1", "C2", "C3", "C4", "C2"),
                "issue_date": _dates(
                    "2023-01-05",
                    "2023-02-05",
                    "2023-01-10",
                    "2023-03-01",
                    "2023-01-20",
                    "2023-04-01",
                ),
                "due_date": _dates(
                    "2023-02-04",
                    "2023-03-07",
                    "2023-02-24",
                    "2023-03-31",
                    "2023-03-21",
                    "2023-04-01",
                ),
                "amount": pd.Series([1000.0, 250.5, 4000.0, 99.99, 12000.0, 800.0]),
                "currency": _str("EUR", "EUR", "EUR", None, "USD", "EUR"),
                "cleared_date": _dates(
                    "2023-02-01", None, "2023-03-15", None, "2023-03-21", "2023-04-01"
                ),
                "disputed": pd.Series([False, False, True, None, False, False], dtype="boolean"),
                "paperless": pd.Series([True, False, True, None, True, False], dtype="boolean"),
            }
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": _str("P1", "P2", "P3", "P4", "P5"),
                "invoice_id": _str("I1", "I3", "I3", "I2", "I5"),
                "payment_date": _dates(
                    "2023-02-01", "2023-02-28", "2023-03-15", "2023-03-01", "2023-03-21"
                ),
                "amount": pd.Series([1000.0, 1500.0, 2500.0, 100.0, 12000.0]),
            }
        ),
        "signals": pd.DataFrame(
            {
                "customer_id": _str("C1", "C2", "C4"),
                "observed_date": _dates("2023-01-31", "2023-02-28", "2023-03-31"),
                "name": _str("credit_rating", "bank_credit_line", "lawsuits_open"),
                "value": pd.Series([7.0, 150000.0, 0.0]),
            }
        ),
        "deals": pd.DataFrame(
            {
                "deal_id": _str("D1", "D2", "D3"),
                "customer_id": _str("C1", "C2", "C4"),
                "created_date": _dates("2023-03-01", "2023-03-15", "2023-04-01"),
                "amount": pd.Series([5000.0, 12000.0, 30000.0]),
                "payment_terms_days": pd.Series([30, 45, None], dtype="Int64"),
                "stage": _str("open", "won", "lost"),
            }
        ),
    }


def with_value(
    raw: dict[str, pd.DataFrame], table: str, row: int, column: str, value: str | None
) -> dict[str, pd.DataFrame]:
    """A copy of `raw` with the cell at 1-based `row` of `table.column` set to `value`."""
    frame = raw[table].copy()
    frame.loc[row - 1, column] = value
    return {**raw, table: frame}


def lines(report: ValidationReport) -> list[str]:
    """Every problem as its one-line message."""
    return [str(p) for p in report.problems]


def reasons(report: ValidationReport, table: str) -> dict[int, str]:
    """1-based source row -> reason, for the rejects of `table`."""
    frame = report.rejects[table]
    return dict(zip(frame["row"].tolist(), frame["reason"].tolist(), strict=True))


@pytest.fixture
def raw_tables() -> dict[str, pd.DataFrame]:
    """A fresh copy of the valid world as raw CSV text tables."""
    return raw_world()


@pytest.fixture
def typed_tables() -> dict[str, pd.DataFrame]:
    """The valid world in canonical dtypes, typed by hand."""
    return typed_world()


@pytest.fixture
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A data directory holding the valid world as CSV files, one per table."""
    directory = tmp_path_factory.mktemp("world")
    for name, text in RAW_CSV.items():
        (directory / f"{name}.csv").write_text(text)
    return directory
