"""The DuckDB session every feature group and label runs in.

`open_session` registers the canonical tables (optional tables missing from the source become
empty tables with the contract's columns, so every query runs and yields nulls rather than
errors) and the *spine*: one row per (customer_id, as_of) for every customer known at as_of.

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
import pyarrow as pa
import pyarrow.compute as pc

from features.schema import TABLES
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


ENCODE_SQL = """
CREATE TEMP TABLE customers AS SELECT * FROM customers_coded;

CREATE TEMP TABLE payments AS
SELECT k.invoice_id, k.customer_id, p.payment_date, p.amount,
       p.payment_date <= k.cleared_date AS before_clearing
FROM payments_source p JOIN invoice_keys k ON k.source_invoice_id = p.invoice_id;

CREATE TEMP TABLE signals AS SELECT * FROM signals_coded;

CREATE TEMP TABLE deals AS SELECT * FROM deals_coded;
"""
"""Inside the session ids are dense integers: `customer_id` is the rank of the customer's id
(so integer order is id order) and `invoice_id` the invoice's row number; payments carry their
invoice's customer, and `before_clearing` says whether a payment is dated <= its invoice's
clearing date. `invoices.settled_payment_count` counts those payments. Codes are computed with
Arrow (`pyarrow.compute.index_in`) before the tables enter DuckDB; only payments are joined to
their invoices by the string id in DuckDB. Joins and sorts on integers are several times
cheaper than on strings."""

SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "industry",
        "country",
        "segment",
        "credit_limit",
        "payment_terms_days",
        "onboarding_date",
    ),
    "invoices": (
        "invoice_id",
        "customer_id",
        "issue_date",
        "due_date",
        "amount",
        "cleared_date",
        "disputed",
    ),
    "payments": ("invoice_id", "payment_date", "amount"),
    "signals": ("customer_id", "observed_date", "name", "value"),
    "deals": ("customer_id", "created_date", "amount", "stage"),
}
"""The contract columns features read; the rest never enter DuckDB."""


@dataclass(frozen=True)
class Session:
    """An open DuckDB connection holding the tables, the snapshot dates and the spine.

    Attributes:
        con: the connection; tables `customers`, `invoices`, `payments`, `signals`, `deals`
            (integer `customer_id` codes, see ENCODE_SQL), `snapshot_dates(as_of)` and
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


def contract_frame(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """`frame` with every contract column of table `name` present (missing ones all null).

    An absent optional table becomes an empty frame with the contract's columns and dtypes, so
    that queries over it return nulls instead of failing.
    """
    table = TABLES[name]
    if frame is None:
        return pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in table.columns})
    missing = [c for c in table.columns if c.name not in frame.columns]
    if not missing:
        return frame
    extra = {c.name: pd.Series(index=frame.index, dtype=c.dtype) for c in missing}
    return frame.assign(**extra)


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
    ids = _register_coded(con, tables)
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


def _arrow(name: str, tables: Tables) -> pa.Table:
    """Table `name` as Arrow with exactly the contract columns features read."""
    source = contract_frame(name, getattr(tables, name))[list(SOURCE_COLUMNS[name])]
    return pa.Table.from_pandas(source, preserve_index=False)


def _coded(table: pa.Table, keys: pa.Array) -> pa.Table:
    """`table` with `customer_id` replaced by its code (rank in `keys`); unknown ids dropped."""
    codes = pc.index_in(table["customer_id"], value_set=keys, skip_nulls=True)
    position = table.schema.get_field_index("customer_id")
    kept = table.set_column(position, "customer_id", codes.cast(pa.int32()))
    return kept if codes.null_count == 0 else kept.filter(pc.is_valid(kept["customer_id"]))


def _register_coded(con: duckdb.DuckDBPyConnection, tables: Tables) -> np.ndarray:
    """Create the session tables with integer codes (see ENCODE_SQL); returns ids by code."""
    ids = _arrow("customers", tables)["customer_id"].drop_null()
    keys = pc.take(ids, pc.sort_indices(ids)).combine_chunks()
    invoices = _arrow("invoices", tables)
    invoices = _coded(
        invoices.rename_columns(["source_invoice_id", *invoices.column_names[1:]]), keys
    )
    codes = pa.array(np.arange(len(invoices), dtype="int32"))
    invoices = invoices.add_column(0, "invoice_id", codes)
    invoice_keys = invoices.select(
        ["source_invoice_id", "invoice_id", "customer_id", "cleared_date"]
    )
    coded = {
        "customers_coded": _coded(_arrow("customers", tables), keys),
        "signals_coded": _coded(_arrow("signals", tables), keys),
        "deals_coded": _coded(_arrow("deals", tables), keys),
        "payments_source": _arrow("payments", tables),
        "invoice_keys": invoice_keys,
    }
    for name, table in coded.items():
        con.register(name, table)
    con.execute(ENCODE_SQL)
    counted = con.sql("SELECT invoice_id FROM payments WHERE before_clearing").fetchnumpy()
    counts = np.bincount(counted["invoice_id"], minlength=len(invoices)).astype("int64")
    invoices = invoices.drop_columns(["source_invoice_id"]).append_column(
        "settled_payment_count", pa.array(counts)
    )
    con.register("invoices_coded", invoices)
    con.execute("CREATE TEMP TABLE invoices AS SELECT * FROM invoices_coded")
    for name in (*coded, "invoices_coded"):
        con.unregister(name)
    return np.asarray(keys.to_pylist(), dtype=object)


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


def data_end_of(tables: Tables) -> pd.Timestamp:
    """The date the receivables ledger runs to: the latest issue, clearing or payment date.

    Labels treat an invoice still open at due date + grace <= data end as late, so the data end
    must be the end of the ledger itself. Health signals and CRM deals often come from feeds
    extracted later than the ledger; counting their dates would turn outcomes the ledger does
    not hold yet into "late" and add snapshots past its end. Due dates are promises, not facts.
    """
    invoices = contract_frame("invoices", tables.invoices)
    candidates = [invoices["issue_date"].max(), invoices["cleared_date"].max()]
    if tables.payments is not None:
        candidates.append(tables.payments["payment_date"].max())
    known = [pd.Timestamp(c) for c in candidates if pd.notna(c)]
    if not known:
        raise ValueError("tables hold no dated fact: no invoice has an issue_date")
    return max(known)


INVOICE_HISTORY_SQL = """
CREATE OR REPLACE TEMP VIEW invoice_facts AS
SELECT customer_id, invoice_id, amount, issue_date, cleared_date, disputed,
       date_diff('day', due_date, cleared_date) AS days_late,
       CASE WHEN cleared_date IS NOT NULL THEN settled_payment_count END AS payment_count
FROM invoices;

CREATE OR REPLACE TEMP TABLE invoice_history AS
SELECT i.customer_id, s.as_of, i.amount,
       date_diff('day', i.issue_date, s.as_of)::INTEGER AS issued_days_ago,
       CASE WHEN i.cleared_date <= s.as_of
            THEN date_diff('day', i.cleared_date, s.as_of)::INTEGER END AS cleared_days_ago,
       CASE WHEN i.cleared_date <= s.as_of THEN i.days_late::INTEGER END AS days_late,
       CASE WHEN i.cleared_date <= s.as_of THEN i.disputed END AS disputed_settled,
       CASE WHEN i.cleared_date <= s.as_of THEN i.payment_count::INTEGER END AS payment_count
FROM (
    SELECT *, unnest(range(b_issue, b_end)) AS k
    FROM (
        SELECT *, {issue_bucket} AS b_issue, coalesce({end_bucket}, {date_count}) AS b_end
        FROM invoice_facts WHERE {issue_known}
    )
    WHERE b_issue < b_end
) i
JOIN (SELECT as_of, row_number() OVER (ORDER BY as_of) - 1 AS k FROM snapshot_dates) s USING (k);
"""


def create_invoice_history(session: Session) -> None:
    """Create the table `invoice_history`: each invoice as seen at each snapshot date.

    Materialised once per batch of snapshots (the range join runs once, not once per group
    that reads it).

    Only invoices that can matter within 365 days of t: issued <= t and open at t or cleared in
    (t-365d, t] (a range join on the snapshot dates, so no customer x snapshot x invoice
    product is ever formed). Rows of customers not yet known at t drop out when the groups
    join the spine. Facts after t are masked here, once: `cleared_days_ago`, `days_late`, the
    dispute flag and the payment count are null unless the invoice cleared <= t. The dispute
    flag has no date of its own, so it is treated as known once the invoice is settled.
    `payment_count` counts payments dated <= the clearing date (all of them <= t).
    An invoice is paired with the k-th snapshot for k in [bucket(issue), bucket(clearing +
    365d)) (see `bucket_sql`), so the pairs are generated without sorting the invoices.
    """
    dates = snapshot_dates_in(session)
    sql = INVOICE_HISTORY_SQL.format(
        issue_bucket=bucket_sql("issue_date", dates),
        end_bucket=bucket_sql("cleared_date + INTERVAL 365 DAY", dates),
        date_count=len(dates),
        issue_known=known_by_sql("issue_date", dates),
    )
    session.con.execute(sql)


def snapshot_dates_in(session: Session) -> list[pd.Timestamp]:
    """The session's current snapshot dates, ascending (they change with `set_snapshots`)."""
    found = session.con.sql("SELECT as_of FROM snapshot_dates ORDER BY as_of").fetchnumpy()
    return [pd.Timestamp(d) for d in found["as_of"]]


def bucket_sql(column: str, dates: Sequence[pd.Timestamp]) -> str:
    """SQL for the index of the first of `dates` (ascending) on or after `column`; null after all.

    A fact dated d is known at the k-th date exactly when its bucket is <= k. "Latest fact dated
    <= t" for every date then needs only a small aggregate per (customer, bucket) and a maximum
    over buckets <= k, instead of a sort of all facts (an ASOF join sorts its whole right side).
    """
    if not dates:
        return "NULL::INTEGER"
    cases = " ".join(
        f"WHEN {column} <= TIMESTAMP '{d.isoformat(sep=' ')}' THEN {k}" for k, d in enumerate(dates)
    )
    return f"CASE {cases} END"


def known_by_sql(column: str, dates: Sequence[pd.Timestamp]) -> str:
    """SQL condition: `column` is on or before the last of `dates` (its bucket is not null).

    Filter with it in WHERE before grouping by a bucket: DuckDB then skips later facts cheaply,
    whereas a HAVING on the bucket evaluates the CASE for every row at several times the cost.
    """
    return f"{column} <= TIMESTAMP '{max(dates).isoformat(sep=' ')}'" if dates else "FALSE"
