"""Exploration summaries on hand-built tables with exact expected values."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pandas as pd
import pytest

from features.explore import (
    aging_by_month,
    aging_shares,
    customer_groups,
    data_health,
    month_ends_of,
    portfolio_by_group,
    problem_summary,
    tables_for_customers,
)
from features.tables import Tables
from features.validate import validate_tables
from tests.features.builders import day, invoice, make_tables


def raw(text: str) -> pd.DataFrame:
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, na_values=[""])


RAW = {
    "customers": raw("customer_id,industry,segment,note\nC1,retail,small,x\nC2,,large,y\n"),
    "invoices": raw(
        "invoice_id,customer_id,issue_date,due_date,amount,cleared_date\n"
        "I1,C1,2024-01-10,2024-02-09,1000,\n"
        "I2,C1,2024-01-11,2024-02-10,-5,\n"
        "I3,C9,2024-01-12,2024-02-11,70,\n"
        "I4,C2,2024-01-12,2024-02-11,-1,\n"
    ),
}


@pytest.fixture
def world() -> Tables:
    """Retail C1 (small) and C2 (large); C3 of unknown industry; no payments table."""
    return make_tables(
        customers=[
            {"customer_id": "C1", "industry": "retail", "segment": "small"},
            {"customer_id": "C2", "industry": "retail", "segment": "large"},
            {"customer_id": "C3", "segment": "small"},
        ],
        invoices=[
            invoice("I1", "C1", "2024-01-10", "2024-02-09", 1000.0, "2024-02-20"),
            invoice("I2", "C2", "2024-01-15", "2024-02-14", 3000.0, "2024-02-10"),
            invoice("I3", "C3", "2024-02-01", "2024-02-15", 500.0),
            invoice("I4", "C1", "2024-03-01", "2024-03-31", 2000.0, "2024-03-25"),
        ],
    )


def test_data_health_counts_read_kept_and_rejected_rows() -> None:
    health = data_health(validate_tables(RAW))

    assert health.to_dict("records") == [
        {
            "table": "customers",
            "rows_read": 2,
            "rows_kept": 2,
            "rows_rejected": 0,
            "reject_share": 0.0,
            "problems": 1,
            "extra_columns": "note",
        },
        {
            "table": "invoices",
            "rows_read": 4,
            "rows_kept": 1,
            "rows_rejected": 3,
            "reject_share": 0.75,
            "problems": 3,
            "extra_columns": "",
        },
    ]


def test_problem_summary_counts_findings_most_frequent_first() -> None:
    summary = problem_summary(validate_tables(RAW))

    assert summary.to_dict("records") == [
        {
            "table": "invoices",
            "column": "amount",
            "rule": "must be > 0",
            "rows": 2,
            "example_value": "-5",
        },
        {
            "table": "customers",
            "column": "note",
            "rule": "extra column kept",
            "rows": 1,
            "example_value": "",
        },
        {
            "table": "invoices",
            "column": "customer_id",
            "rule": "not found in customers",
            "rows": 1,
            "example_value": "C9",
        },
    ]


def test_problem_summary_of_clean_data_is_empty_with_columns() -> None:
    clean = {"customers": RAW["customers"][["customer_id"]], "invoices": RAW["invoices"][:1]}

    summary = problem_summary(validate_tables(clean))

    assert summary.empty
    assert list(summary.columns) == ["table", "column", "rule", "rows", "example_value"]


def test_customer_groups_put_nulls_in_unknown(world: Tables) -> None:
    groups = customer_groups(world, "industry")

    assert groups.to_dict() == {"C1": "retail", "C2": "retail", "C3": "unknown"}


def test_customer_groups_name_a_missing_column(world: Tables) -> None:
    with pytest.raises(KeyError, match=r"customers: no column 'size' to group by; got \["):
        customer_groups(world, "size")


def test_tables_for_customers_keeps_only_their_rows(world: Tables) -> None:
    subset = tables_for_customers(world, ["C1"])

    assert subset.customers["customer_id"].tolist() == ["C1"]
    assert subset.invoices["invoice_id"].tolist() == ["I1", "I4"]
    assert subset.payments is None
    assert world.invoices["invoice_id"].tolist() == ["I1", "I2", "I3", "I4"]  # not modified


def test_month_ends_run_from_first_invoice_to_data_end(world: Tables) -> None:
    assert month_ends_of(world) == [day("2024-01-31"), day("2024-02-29")]


def test_portfolio_by_industry_has_dso_and_late_share_per_group(world: Tables) -> None:
    trend = portfolio_by_group(world, "industry", [day("2024-01-31"), day("2024-02-29")])

    assert list(trend.columns) == [
        "industry",
        "month_end",
        "open_amount",
        "sales_90d",
        "dso_days",
        "cleared_count",
        "late_share_count",
    ]
    expected = pd.DataFrame(
        {
            "industry": pd.Series(["retail", "retail", "unknown", "unknown"], dtype="str"),
            "month_end": pd.to_datetime(["2024-01-31", "2024-02-29"] * 2).astype("datetime64[ns]"),
            "open_amount": [4000.0, 0.0, 0.0, 500.0],
            "sales_90d": [4000.0, 4000.0, 0.0, 500.0],
            "dso_days": [90.0, 0.0, np.nan, 90.0],
            "cleared_count": [0.0, 2.0, 0.0, 0.0],
            "late_share_count": [np.nan, 0.5, np.nan, np.nan],
        }
    )
    pd.testing.assert_frame_equal(trend, expected)


def test_portfolio_by_size_segment(world: Tables) -> None:
    trend = portfolio_by_group(world, "segment", [day("2024-02-29")])

    assert trend[["segment", "open_amount", "dso_days"]].to_dict("records") == [
        {"segment": "large", "open_amount": 0.0, "dso_days": 0.0},
        {"segment": "small", "open_amount": 500.0, "dso_days": 30.0},  # 500 / 1500 x 90
    ]


def test_aging_by_month_buckets_open_amounts_by_days_past_due(world: Tables) -> None:
    aging = aging_by_month(world, [day("2024-01-31"), day("2024-02-29"), day("2024-03-20")])

    assert aging.drop(columns="month_end").to_dict("records") == [
        {"current": 4000.0, "1_30": 0.0, "31_60": 0.0, "61_90": 0.0, "over_90": 0.0,
         "open_amount": 4000.0},
        {"current": 0.0, "1_30": 500.0, "31_60": 0.0, "61_90": 0.0, "over_90": 0.0,
         "open_amount": 500.0},
        {"current": 2000.0, "1_30": 0.0, "31_60": 500.0, "61_90": 0.0, "over_90": 0.0,
         "open_amount": 2500.0},
    ]  # fmt: skip
    assert aging["month_end"].tolist() == [day("2024-01-31"), day("2024-02-29"), day("2024-03-20")]


def test_aging_shares_divide_by_open_amount_and_are_nan_when_nothing_is_open() -> None:
    aging = pd.DataFrame(
        {
            "month_end": [day("2024-01-31"), day("2024-02-29")],
            "current": [300.0, 0.0],
            "1_30": [100.0, 0.0],
            "31_60": [0.0, 0.0],
            "61_90": [0.0, 0.0],
            "over_90": [100.0, 0.0],
            "open_amount": [500.0, 0.0],
        }
    )

    shares = aging_shares(aging)

    assert shares.iloc[0].drop("month_end").tolist() == [0.6, 0.2, 0.0, 0.0, 0.2]
    assert shares.iloc[1].drop("month_end").isna().all()
