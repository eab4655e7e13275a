"""The online feature store: the latest snapshot per customer, as the server reads it.

Two back ends behind one pair of functions:
- a Parquet file (default): written to a temp file in the same directory, then renamed over the
  old one, so a reader sees the old or the new file, never half of one; the metadata (as-of,
  pipeline version, feature list, write time) sits in the Parquet schema metadata;
- a SQLite or PostgreSQL table (any SQLAlchemy URL, ``scheme://...``): the rows go to a new
  table, and in one transaction the old table is dropped, the new one renamed and the row of
  the metadata table `arsight_online_store_meta` replaced.

The stored frame is keyed by customer_id and holds every feature plus context columns for the
server (customer_name); the as-of is metadata, identical for every row.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from features.build import FEATURE_PIPELINE_VERSION
from features.catalog import FEATURES
from features.errors import StoreError
from features.locations import is_url
from features.tables import write_atomic

logger = logging.getLogger(__name__)

DEFAULT_TABLE = "online_features"
META_TABLE = "arsight_online_store_meta"
METADATA_KEY = b"arsight.online_store"


@dataclass(frozen=True)
class OnlineStore:
    """One materialised snapshot.

    Attributes:
        frame: indexed by customer_id; every feature of `feature_names` plus context columns.
        features_as_of: the snapshot date every row was computed at.
        pipeline_version: `FEATURE_PIPELINE_VERSION` of the code that wrote it.
        feature_names: the model features, in frame order.
        written_at: when the store was written (UTC).
    """

    frame: pd.DataFrame
    features_as_of: pd.Timestamp
    pipeline_version: str
    feature_names: list[str]
    written_at: pd.Timestamp


def _metadata(frame: pd.DataFrame) -> dict[str, str]:
    """Metadata of a feature frame about to be stored; checks it is one complete snapshot."""
    as_ofs = frame["as_of"].unique()
    if len(as_ofs) != 1:
        raise StoreError(f"online store needs exactly one as_of; frame has {len(as_ofs)}")
    names = [s.name for s in FEATURES]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise StoreError(f"online store frame lacks features {missing}")
    if frame["customer_id"].duplicated().any():
        raise StoreError("online store frame has duplicate customer_id values")
    return {
        "features_as_of": pd.Timestamp(as_ofs[0]).date().isoformat(),
        "pipeline_version": FEATURE_PIPELINE_VERSION,
        "feature_names": json.dumps(names),
        "written_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "token": secrets.token_hex(8),
    }


def _typed(frame: pd.DataFrame, feature_names: list[str]) -> pd.DataFrame:
    """Restore the feature dtypes after a round trip (SQL has no "str" or NaN-only columns)."""
    kinds = {s.name: s.kind for s in FEATURES}
    dtypes = {
        n: ("str" if kinds.get(n) == "categorical" else "float64")
        for n in feature_names
        if n in frame.columns
    }
    context = [c for c in frame.columns if c not in dtypes]
    dtypes |= {c: "str" for c in context if not pd.api.types.is_numeric_dtype(frame[c])}
    frame = frame.astype(dtypes)
    frame.index = frame.index.astype("str")
    frame.index.name = "customer_id"
    return frame


def _store(frame: pd.DataFrame, meta: dict[str, str]) -> OnlineStore:
    names: list[str] = json.loads(meta["feature_names"])
    return OnlineStore(
        frame=_typed(frame, names),
        features_as_of=pd.Timestamp(meta["features_as_of"]),
        pipeline_version=meta["pipeline_version"],
        feature_names=names,
        written_at=pd.Timestamp(meta["written_at"]),
    )


def _write_parquet(stored: pd.DataFrame, meta: dict[str, str], path: Path) -> None:
    table = pa.Table.from_pandas(stored, preserve_index=True)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[METADATA_KEY] = json.dumps(meta).encode()
    table = table.replace_schema_metadata(schema_meta)
    write_atomic(lambda tmp: pq.write_table(table, tmp), path)


def _meta_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        META_TABLE,
        metadata,
        sa.Column("table_name", sa.String(200), primary_key=True),
        sa.Column("metadata", sa.Text, nullable=False),
    )


def _write_sql(stored: pd.DataFrame, meta: dict[str, str], url: str, table: str) -> None:
    engine = sa.create_engine(url)
    staging = f"{table}_new_{meta['token']}"
    meta_table = _meta_table(sa.MetaData())
    try:
        with engine.begin() as con:
            meta_table.create(con, checkfirst=True)
            stored.to_sql(staging, con, index=True, chunksize=10_000)
            quote = con.dialect.identifier_preparer.quote
            con.execute(sa.text(f"DROP TABLE IF EXISTS {quote(table)}"))
            con.execute(sa.text(f"ALTER TABLE {quote(staging)} RENAME TO {quote(table)}"))
            con.execute(sa.delete(meta_table).where(meta_table.c.table_name == table))
            con.execute(sa.insert(meta_table).values(table_name=table, metadata=json.dumps(meta)))
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"online store {engine.url!r}: cannot write table {table}: {exc}") from exc
    finally:
        engine.dispose()


def write_online_store(
    frame: pd.DataFrame, url_or_path: str | Path, table: str = DEFAULT_TABLE
) -> None:
    """Store one snapshot (a `build_feature_frame` frame with one as_of) atomically.

    Args:
        frame: customer_id, as_of, every feature, optionally context columns.
        url_or_path: a Parquet file path, or a SQLAlchemy URL of SQLite/PostgreSQL.
        table: table name for a database store.

    Raises:
        StoreError: the frame is not one complete snapshot, or the database refuses.
    """
    meta = _metadata(frame)
    stored = frame.drop(columns=["as_of"]).set_index("customer_id")
    if is_url(url_or_path):
        _write_sql(stored, meta, str(url_or_path), table)
    else:
        _write_parquet(stored, meta, Path(url_or_path))
    logger.info("online store %s written: %d customers", url_or_path, len(stored))


def _read_sql(url: str, table: str) -> OnlineStore:
    engine = sa.create_engine(url)
    meta_table = _meta_table(sa.MetaData())
    try:
        with engine.connect() as con:
            row = con.execute(
                sa.select(meta_table.c.metadata).where(meta_table.c.table_name == table)
            ).first()
            if row is None:
                raise StoreError(f"online store {engine.url!r}: no table {table} written yet")
            frame = pd.read_sql_table(table, con, index_col="customer_id")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"online store {engine.url!r}: cannot read table {table}: {exc}") from exc
    finally:
        engine.dispose()
    return _store(frame, json.loads(row[0]))


def read_online_store(url_or_path: str | Path, table: str = DEFAULT_TABLE) -> OnlineStore:
    """Load the store written by `write_online_store`.

    Raises:
        StoreError: nothing stored there yet, or the file/table is not an arsight store.
    """
    if is_url(url_or_path):
        return _read_sql(str(url_or_path), table)
    path = Path(url_or_path)
    if not path.is_file():
        raise StoreError(
            f"online store {path}: no such file; run `arsight features build DIR --online`"
        )
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise StoreError(f"online store {path}: not a Parquet file ({exc})") from exc
    raw = (arrow.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise StoreError(f"online store {path}: Parquet file without arsight metadata")
    return _store(arrow.to_pandas(), json.loads(raw))


def store_version(url_or_path: str | Path, table: str = DEFAULT_TABLE) -> str:
    """A cheap token that changes whenever a newer store is written (for hot reload).

    It is the random token written with the metadata: in the Parquet footer (read without
    the data) or in the row of the metadata table.

    Raises:
        StoreError: nothing is stored there.
    """
    if not is_url(url_or_path):
        try:
            schema = pq.read_schema(url_or_path)
        except FileNotFoundError as exc:
            raise StoreError(f"online store {url_or_path}: no such file") from exc
        except (pa.ArrowInvalid, OSError) as exc:
            raise StoreError(f"online store {url_or_path}: not a Parquet file ({exc})") from exc
        raw = (schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise StoreError(f"online store {url_or_path}: Parquet file without arsight metadata")
        return str(json.loads(raw)["token"])
    engine = sa.create_engine(str(url_or_path))
    meta_table = _meta_table(sa.MetaData())
    try:
        with engine.connect() as con:
            row = con.execute(
                sa.select(meta_table.c.metadata).where(meta_table.c.table_name == table)
            ).first()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"online store {engine.url!r}: cannot read metadata: {exc}") from exc
    finally:
        engine.dispose()
    if row is None:
        raise StoreError(f"online store {engine.url!r}: no table {table} written yet")
    return str(json.loads(row[0])["token"])
