"""Dense integer ids inside the DuckDB session, computed with Arrow before the tables enter it.

Inside the session ids are dense integers: `customer_id` is the rank of the customer's id (so
integer order is id order) and `invoice_id` the invoice's row number (see ENCODE_SQL). Joins
and sorts on integers are several times cheaper than on strings.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.tables import Tables, contract_frame

ENCODE_SQL = """
CREATE TEMP TABLE customers AS SELECT * FROM customers_coded;

CREATE TEMP TABLE payments AS
SELECT k.invoice_id, k.customer_id, p.payment_date, p.amount,
       p.payment_date <= k.cleared_date AS before_clearing
FROM payments_source p JOIN invoice_keys k ON k.source_invoice_id = p.invoice_id;

CREATE TEMP TABLE credit_notes AS
SELECT k.invoice_id, c.credit_date, c.amount, c.kind
FROM credit_notes_source c JOIN invoice_keys k ON k.source_invoice_id = c.invoice_id;

CREATE TEMP TABLE signals AS SELECT * FROM signals_coded;

CREATE TEMP TABLE deals AS SELECT * FROM deals_coded;
"""
"""Inside the session ids are dense integers: `customer_id` is the rank of the customer's id
(so integer order is id order) and `invoice_id` the invoice's row number; payments carry their
invoice's customer, and `before_clearing` says whether a payment is dated <= its invoice's
clearing date. `invoices.settled_payment_count` counts those payments. Codes are computed with
Arrow (`pyarrow.compute.index_in`) before the tables enter DuckDB; only payments and credit
notes are joined to their invoices by the string id in DuckDB. Joins and sorts on integers are
several times cheaper than on strings."""

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
    "credit_notes": ("invoice_id", "credit_date", "amount", "kind"),
}
"""The contract columns features read; the rest never enter DuckDB."""


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


def register_coded(con: duckdb.DuckDBPyConnection, tables: Tables) -> np.ndarray:
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
        "credit_notes_source": _arrow("credit_notes", tables),
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
