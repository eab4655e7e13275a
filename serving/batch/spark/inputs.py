"""Reading a data directory into Spark as one frame partitioned by customer.

Every feature but the industry peer statistics depends on one customer's rows only, so the job
partitions the tables by customer and runs the one pandas feature code on each partition. To
hand a partition's rows of five tables to one pandas call, the tables are stacked into one
*ledger* frame: a `table` column names the source table, every source column is prefixed with
its table (`invoices__amount`) so columns of different tables never collide, and
`customer_key` (the customer of the row; a payment takes its invoice's) is what the frame is
hash-partitioned on. `LedgerLayout` records how to undo the stacking on the executors.

Files are read as `features.tables.read_raw_table` reads them, so that validation sees the
same values: Parquet typed (timestamps travel as nanoseconds since the epoch and become
datetime64[ns] again in pandas), CSV as text with empty cells null.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.errors import SchemaError
from features.tables import table_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

SEPARATOR = "__"
TABLE_COLUMN = "table"
KEY_COLUMN = "customer_key"


@dataclass(frozen=True)
class TableLayout:
    """One source table inside the ledger frame.

    Attributes:
        columns: the file's columns, in file order.
        dates: the columns carried as int64 nanoseconds (Parquet timestamps and dates).
        dtypes: the pandas dtype `pd.read_parquet` gives each other column when it has no
            nulls (Spark's Arrow conversion turns nullable integers into floats).
    """

    columns: tuple[str, ...]
    dates: tuple[str, ...]
    dtypes: dict[str, str]

    def restore(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` (one table's rows from the ledger) with the file's own dtypes."""
        typed = {c: d for c, d in self.dtypes.items() if frame[c].notna().all()}
        frame = frame.astype(typed)
        for column in self.dates:
            frame[column] = pd.to_datetime(frame[column].astype("Int64"), unit="ns")
        return frame


@dataclass(frozen=True)
class LedgerLayout:
    """The tables present in the directory and how each sits in the ledger frame."""

    tables: dict[str, TableLayout]

    def split(self, ledger: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The raw tables of a pandas slice of the ledger, as `read_raw_tables` would give them.

        Every table of the directory is present (possibly with no rows), so validation and
        features see the same set of tables in every partition.
        """
        raw: dict[str, pd.DataFrame] = {}
        for name, layout in self.tables.items():
            rows = ledger.loc[ledger[TABLE_COLUMN] == name]
            columns = {c: rows[f"{name}{SEPARATOR}{c}"] for c in layout.columns}
            raw[name] = layout.restore(pd.DataFrame(columns).reset_index(drop=True))
        return raw


def _read_parquet(spark: SparkSession, path: Path) -> tuple[DataFrame, TableLayout]:
    """A Parquet table with its timestamp and date columns as int64 nanoseconds."""
    from pyspark.sql import functions as F

    schema = pq.read_schema(path)
    frame = spark.read.parquet(str(path))
    dates = []
    for field in schema:
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            dates.append(field.name)  # read as nanoseconds already (nanosAsLong)
        elif pa.types.is_timestamp(field.type):
            frame = frame.withColumn(field.name, F.unix_micros(field.name) * 1000)
            dates.append(field.name)
        elif pa.types.is_date(field.type):
            nanos = F.unix_date(field.name).cast("long") * 86_400_000_000_000
            frame = frame.withColumn(field.name, nanos)
            dates.append(field.name)
    pandas_dtypes = schema.empty_table().to_pandas().dtypes
    dtypes = {c: str(pandas_dtypes[c]) for c in schema.names if c not in dates}
    return frame, TableLayout(tuple(schema.names), tuple(dates), dtypes)


def read_table(spark: SparkSession, path: Path) -> tuple[DataFrame, TableLayout]:
    """One table file as Spark reads it, and its layout (see the module docstring)."""
    if path.suffix == ".parquet":
        return _read_parquet(spark, path)
    if path.suffix == ".csv":
        frame = spark.read.option("header", True).option("inferSchema", False).csv(str(path))
        return frame, TableLayout(tuple(frame.columns), (), {})
    raise SchemaError(f"{path}: unsupported file type {path.suffix!r}; expected .parquet or .csv")


def read_tables(spark: SparkSession, directory: Path) -> dict[str, tuple[DataFrame, TableLayout]]:
    """Every contract table present in `directory`.

    Raises:
        SchemaError: `directory` is not a directory or lacks a required table.
    """
    return {name: read_table(spark, path) for name, path in table_files(directory).items()}


def _keyed(name: str, frame: DataFrame, invoices: DataFrame) -> DataFrame:
    """`frame` with `customer_key`: its own customer_id, or for payments and credit notes
    the invoice's."""
    from pyspark.sql import functions as F

    if name not in ("payments", "credit_notes"):
        return frame.withColumn(KEY_COLUMN, F.col("customer_id").cast("string"))
    owners = invoices.select(
        F.col("invoice_id").alias("_invoice"), F.col("customer_id").cast("string").alias(KEY_COLUMN)
    ).dropDuplicates(["_invoice"])
    keyed = frame.join(owners, frame["invoice_id"] == owners["_invoice"], "left")
    return keyed.drop("_invoice")


def build_ledger(
    tables: dict[str, tuple[DataFrame, TableLayout]], partitions: int
) -> tuple[DataFrame, LedgerLayout]:
    """The stacked ledger frame, hash-partitioned by customer into `partitions` partitions.

    All rows of a customer (and the payments and credit notes of its invoices) land in one
    partition. A payment or credit note whose invoice does not exist keeps a null key, so
    validation in its partition rejects it as an orphan, as it would in one pandas frame.
    """
    from pyspark.sql import functions as F

    invoices = tables["invoices"][0]
    parts = []
    for name, (frame, _) in tables.items():
        keyed = _keyed(name, frame, invoices)
        renamed = [
            F.col(f"`{c}`").alias(f"{name}{SEPARATOR}{c}") for c in keyed.columns if c != KEY_COLUMN
        ]
        parts.append(keyed.select(F.lit(name).alias(TABLE_COLUMN), F.col(KEY_COLUMN), *renamed))
    ledger = parts[0]
    for part in parts[1:]:
        ledger = ledger.unionByName(part, allowMissingColumns=True)
    layout = LedgerLayout({name: layout for name, (_, layout) in tables.items()})
    return ledger.repartition(partitions, KEY_COLUMN), layout
