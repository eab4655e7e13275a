"""The DuckDB session every feature group and label runs in.

`open_session` registers the canonical tables (optional tables missing from the source become
empty tables with the contract's columns, so every query runs and yields nulls rather than
errors; ids coded as integers, see `features.id_coding`) and the *spine*: one row per
(customer_id, as_of) for every customer known at as_of.

A customer is known at t from its `onboarding_date` when that is given, otherwise from its first
invoice's `issue_date`; a customer with neither is never in a snapshot. The spine carries
`industry` (for peers) and `known_from` (for tenure).

Dates reach DuckDB as timestamps at midnight; `date_diff('day', a, b)` counts whole days.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from features.id_coding import register_coded
from features.tables import Tables

logger = logging.getLogger(__name__)

SPINE_SQL = """
CREATE OR REPLACE TEMP TABLE spine AS
WITH first_invoice AS (
    SELECT customer_id, min(issue_date) AS first_issue_date FROM invoices GROUP BY customer_id
),
known AS (
    SELECT c.customer_id, c.industry,
           coalesce(c.onboarding_date, f.first_issue_date) AS known_from
    FROM customers c LEFT JOIN first_invoice f USING (customer_id)
)
SELECT k.customer_id, s.as_of, k.industry, k.known_from
FROM known k JOIN snapshot_dates s ON k.known_from <= s.as_of
ORDER BY s.as_of, k.customer_id
"""


@dataclass(frozen=True)
class Session:
    """An open DuckDB connection holding the tables, the snapshot dates and the spine.

    Attributes:
        con: the connection; tables `customers`, `invoices`, `payments`, `signals`, `deals`
            (integer `customer_id` codes, see `features.id_coding`), `snapshot_dates(as_of)` and
            `spine(customer_id, as_of, industry, known_from)`.
        customer_ids: the original customer ids, indexed by code.
        has_payments: the source has a payments table (open amounts then net of payments).
        has_signals: the source has a signals table.
        has_deals: the source has a deals table.
        has_disputed: the invoices carry the optional `disputed` flag.
    """

    con: duckdb.DuckDBPyConnection
    customer_ids: np.ndarray
    has_payments: bool
    has_signals: bool
    has_deals: bool
    has_disputed: bool

    def frame(self, sql: str) -> pd.DataFrame:
        """Run `sql` and return its result as a pandas frame (customer_id still a code)."""
        return self.con.sql(sql).df()

    def decode(self, codes: pd.Series) -> pd.Series:
        """Original customer ids (pandas "str") for a column of codes."""
        return pd.Series(self.customer_ids[codes.to_numpy()], index=codes.index, dtype="str")

    def close(self) -> None:
        """Release the connection and its memory."""
        self.con.close()


def normalise_dates(as_of: pd.Timestamp | Sequence[pd.Timestamp]) -> list[pd.Timestamp]:
    """Sorted, de-duplicated snapshot dates at midnight."""
    dates = [as_of] if isinstance(as_of, pd.Timestamp | str) else list(as_of)
    return sorted({pd.Timestamp(d).normalize() for d in dates})


def open_session(
    tables: Tables, as_ofs: Sequence[pd.Timestamp], memory_limit: str = "6GB"
) -> Session:
    """Register `tables` and the spine for `as_ofs` in a fresh in-memory DuckDB connection.

    Args:
        tables: canonical tables; inputs are never modified.
        as_ofs: snapshot dates (normalised to midnight).
        memory_limit: DuckDB's memory cap; it spills to disk beyond it.
    """
    # One thread: parallel aggregation adds floats in a varying order, so sums could differ
    # in the last bit between runs; scoring outputs must be byte-identical for the same inputs.
    # Spill files go to the system temp directory, never into the working directory.
    spill = str(Path(tempfile.gettempdir()) / "arsight-duckdb")
    con = duckdb.connect(
        config={"memory_limit": memory_limit, "threads": 1, "temp_directory": spill}
    )
    ids = register_coded(con, tables)
    set_snapshots(con, as_ofs)
    disputed = tables.invoices.get("disputed")
    return Session(
        con=con,
        customer_ids=ids,
        has_payments=tables.payments is not None,
        has_signals=tables.signals is not None,
        has_deals=tables.deals is not None,
        has_disputed=disputed is not None and bool(disputed.notna().any()),
    )


def set_snapshots(con: duckdb.DuckDBPyConnection, as_ofs: Sequence[pd.Timestamp]) -> None:
    """(Re)create `snapshot_dates` and the spine for `as_ofs` in an open session.

    Builds over many snapshots run in batches of dates in one session (see `features.build`),
    so the memory of one query stays bounded while the tables are registered only once.
    """
    dates = pd.DataFrame({"as_of": pd.Series(as_ofs, dtype="datetime64[ns]")})
    con.register("snapshot_dates_source", dates)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE snapshot_dates AS SELECT * FROM snapshot_dates_source"
    )
    con.unregister("snapshot_dates_source")
    con.execute(SPINE_SQL)


def snapshot_dates_in(session: Session) -> list[pd.Timestamp]:
    """The session's current snapshot dates, ascending (they change with `set_snapshots`)."""
    found = session.con.sql("SELECT as_of FROM snapshot_dates ORDER BY as_of").fetchnumpy()
    return [pd.Timestamp(d) for d in found["as_of"]]
