"""The online invoice store: the open invoices' own features at the online store's date.

Written beside the online feature store by the same builds (`arsight features build
--online`, the batch job's store refresh), before it, from the same tables and date, so the
server can score every open invoice at load time like it scores customers:

- beside a Parquet store `online.parquet`: `online.invoices.parquet` (written atomically);
- with a database store (SQLAlchemy URL): the table `online_invoices` in the same database,
  replaced in one transaction.

It holds `features.invoices.invoice_features` at the as-of date (keys, dates, amounts and the
invoice's own features); the server joins the customer features from the online store itself,
so the customer half of an invoice row is exactly what the customer scores use.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from features.errors import StoreError
from features.invoices import invoice_features
from features.locations import is_url
from features.tables import Tables, write_parquet_atomic

logger = logging.getLogger(__name__)

INVOICE_TABLE = "online_invoices"
DATE_COLUMNS = ("as_of", "issue_date", "due_date")


def invoice_store_path(store: str | Path) -> str | Path:
    """Where the invoice store of an online store lives: a sibling file, or the same URL."""
    if isinstance(store, str) and is_url(store):
        return store
    path = Path(store)
    return path.with_name(f"{path.stem}.invoices{path.suffix or '.parquet'}")


def write_invoice_store(tables: Tables, as_of: pd.Timestamp, store: str | Path) -> int:
    """Materialise the open invoices at `as_of` beside the online store `store`; their count."""
    rows = invoice_features(tables, pd.Timestamp(as_of))
    target = invoice_store_path(store)
    if isinstance(target, Path):
        write_parquet_atomic(rows, target)
    else:
        engine = sa.create_engine(target)
        try:
            with engine.begin() as connection:
                rows.to_sql(INVOICE_TABLE, connection, if_exists="replace", index=False)
        finally:
            engine.dispose()
    logger.info("invoice store: %d open invoices as of %s -> %s", len(rows), as_of, target)
    return len(rows)


def read_invoice_store(store: str | Path) -> pd.DataFrame | None:
    """The invoice rows beside `store`; None where none were written (an older store).

    Raises:
        StoreError: the invoice store exists but cannot be read.
    """
    target = invoice_store_path(store)
    try:
        if isinstance(target, Path):
            return pd.read_parquet(target) if target.exists() else None
        engine = sa.create_engine(target)
        try:
            if not sa.inspect(engine).has_table(INVOICE_TABLE):
                return None
            with engine.connect() as connection:
                frame = pd.read_sql_table(INVOICE_TABLE, connection)
        finally:
            engine.dispose()
    except (OSError, ValueError, sa.exc.SQLAlchemyError) as exc:
        raise StoreError(f"invoice store {target}: cannot read it: {exc}") from exc
    return frame.astype(dict.fromkeys(DATE_COLUMNS, "datetime64[ns]"))
