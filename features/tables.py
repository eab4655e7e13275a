"""The canonical `Tables`; reading and writing a data directory: one file per table.

`read_raw_tables` reads what is on disk without judging it (CSV cells stay text so that
validation can report unparseable values with the original text); `features.validate` turns
raw tables into canonical `Tables`; `write_tables` writes canonical Parquet atomically.
`contract_frame` gives a table with every contract column, `data_end_of` the ledger's last date.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from features.errors import SchemaError
from features.schema import TABLES


@dataclass(frozen=True)
class Tables:
    """The canonical tables of one data directory, typed as in `features.schema`.

    Optional tables are None when the source has none; features from them are then null.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame | None = None
    signals: pd.DataFrame | None = None
    deals: pd.DataFrame | None = None
    credit_notes: pd.DataFrame | None = None

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield (table name, frame) for every table that is present."""
        for f in fields(self):
            frame = getattr(self, f.name)
            if frame is not None:
                yield f.name, frame


def table_file(directory: Path, name: str) -> Path | None:
    """The file holding table `name` in `directory` (Parquet preferred over CSV), or None."""
    for suffix in (".parquet", ".csv"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read one table file as it is: Parquet typed, CSV as text (empty cells -> null)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    raise SchemaError(f"{path}: unsupported file type {path.suffix!r}; expected .parquet or .csv")


def table_files(directory: Path) -> dict[str, Path]:
    """Each contract table present in `directory` -> its file; raise if a required one is missing.

    Raises:
        SchemaError: `directory` is not a directory or lacks a required table.
    """
    if not directory.is_dir():
        raise SchemaError(f"{directory}: not a directory")
    found: dict[str, Path] = {}
    for name, table in TABLES.items():
        path = table_file(directory, name)
        if path is None:
            if table.required:
                raise SchemaError(
                    f"{directory}: required table {name!r} missing; "
                    f"expected {name}.parquet or {name}.csv"
                )
            continue
        found[name] = path
    return found


def read_raw_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """Read every contract table present in `directory`; raise if a required one is missing."""
    return {name: read_raw_table(path) for name, path in table_files(directory).items()}


def write_atomic(write: Callable[[str], object], path: Path) -> Path:
    """Call `write(temporary path)` beside `path`, then rename: readers never see half a file.

    The temporary file sits in the same directory so that the rename is atomic; it is removed
    when writing fails or is interrupted.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:  # on disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` as Parquet (no index) at `path`, atomically."""
    return write_atomic(lambda tmp: frame.to_parquet(tmp, index=False), path)


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` as CSV (no index) at `path`, atomically."""
    return write_atomic(lambda tmp: frame.to_csv(tmp, index=False), path)


def write_tables(tables: Tables, directory: Path) -> list[Path]:
    """Write every present table as `<name>.parquet` in `directory`, each file atomically."""
    written = []
    for name, frame in tables.items():
        path = directory / f"{name}.parquet"
        write_parquet_atomic(frame, path)
        written.append(path)
    return written


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


def data_end_of(tables: Tables) -> pd.Timestamp:
    """The date the receivables ledger runs to: the latest issue, clearing, payment or credit date.

    Labels treat an invoice still open at due date + grace <= data end as late, so the data end
    must be the end of the ledger itself. Health signals and CRM deals often come from feeds
    extracted later than the ledger; counting their dates would turn outcomes the ledger does
    not hold yet into "late" and add snapshots past its end. Due dates are promises, not facts.
    """
    invoices = contract_frame("invoices", tables.invoices)
    candidates = [invoices["issue_date"].max(), invoices["cleared_date"].max()]
    if tables.payments is not None:
        candidates.append(tables.payments["payment_date"].max())
    if tables.credit_notes is not None:  # credit notes and write-offs are ledger entries too
        candidates.append(tables.credit_notes["credit_date"].max())
    known = [pd.Timestamp(c) for c in candidates if pd.notna(c)]
    if not known:
        raise ValueError("tables hold no dated fact: no invoice has an issue_date")
    return max(known)
