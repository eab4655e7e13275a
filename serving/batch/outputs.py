"""Writing the outputs of a scoring job: atomic, deterministic, never half-written.

Every file is written under a temporary name in its final directory (`.<name>.arsight-tmp`)
and renamed over the final name, so a reader sees the old file or the new one, never half of
one; a process killed mid-write leaves only a temporary file, which the next run removes
(`remove_stale_temporaries`). The scores file is renamed last: its presence is what says "this
run completed", and a rerun with it in place skips unless forced.

A run directory holds one run, never parts of two (a killed `--force` rerun): the pandas
engine writes the whole run into a hidden staging directory inside it (`OutputPaths.staging`),
renames that to the commit directory when complete (`commit`: from then on the run counts as
done), then installs the files: the old scores file is removed first, the companions moved in,
the scores file last. A rerun first repairs (`recover`): it finishes an interrupted install
and deletes an unfinished staging directory, so the directory holds the old run or the new one.

Determinism: the same inputs and model give byte-identical files. Parquet is written by
pyarrow with fixed options (one row group, zstd, no pandas index, no statistics that depend on
time) and the job's own metadata (as-of, model, policy, data fingerprint) carries no clock
reading; CSV is written with a fixed float format. Rows are sorted by the caller.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".arsight-tmp"
STAGING_SUFFIX = ".arsight-staging"
COMMIT_SUFFIX = ".arsight-commit"
METADATA_KEY = b"arsight.batch"


@dataclass(frozen=True)
class OutputPaths:
    """Where one scoring job writes; every file but `scores` sits beside it.

    One directory per run is the intended layout (`runs/2026-11-24/scores.parquet`): the
    companions then have fixed names (alerts.parquet, worklist.parquet, ...).
    """

    scores: Path

    @property
    def directory(self) -> Path:
        return self.scores.parent

    @property
    def alerts(self) -> Path:
        return self.directory / "alerts.parquet"

    @property
    def worklist(self) -> Path:
        return self.directory / "worklist.parquet"

    @property
    def worklist_invoices(self) -> Path:
        return self.directory / "worklist_invoices.parquet"

    @property
    def invoices(self) -> Path:
        """Every invoice open at the as-of date with its payment prediction."""
        return self.directory / "invoices.parquet"

    @property
    def actions(self) -> Path:
        """The collections actions open at the as-of date (`serving.collections.generate`)."""
        return self.directory / "actions.parquet"

    @property
    def cash_forecast(self) -> Path:
        """Expected receipts per week, 13 weeks: the portfolio, then each industry."""
        return self.directory / "cash_forecast.parquet"

    @property
    def cash_forecast_customers(self) -> Path:
        """Expected receipts per week, 13 weeks, per customer with open invoices."""
        return self.directory / "cash_forecast_customers.parquet"

    @property
    def cash_received(self) -> Path:
        """Cash received in each of the 13 weeks up to the as-of date."""
        return self.directory / "cash_received.parquet"

    @property
    def terms_review(self) -> Path:
        """Customers whose terms should change, cuts and rewards (`serving.batch.terms_review`)."""
        return self.directory / "terms_review.parquet"

    @property
    def judged(self) -> Path:
        """The runs of 30 and 90 days before judged on the outcomes known now (`monitoring`)."""
        return self.directory / "judged.parquet"

    @property
    def contributions(self) -> Path:
        return self.directory / "contributions.parquet"

    @property
    def rejects(self) -> Path:
        return self.directory / "rejects.csv"

    def staging(self) -> OutputPaths:
        """Where a run is written before it is complete (a hidden directory beside `scores`)."""
        return OutputPaths(
            self.directory / f".{self.scores.name}{STAGING_SUFFIX}" / self.scores.name
        )

    def committed(self) -> OutputPaths:
        """Where a complete run waits to be installed (`commit`, `install`)."""
        return OutputPaths(
            self.directory / f".{self.scores.name}{COMMIT_SUFFIX}" / self.scores.name
        )

    def companions(self) -> list[Path]:
        """Every file of a run but the scores file, in the order they are written."""
        return [
            self.rejects,
            self.contributions,
            self.alerts,
            self.worklist,
            self.worklist_invoices,
            self.invoices,
            self.actions,
            self.cash_forecast,
            self.cash_forecast_customers,
            self.cash_received,
            self.terms_review,
            self.judged,
        ]


def temporary_name(path: Path) -> Path:
    """The temporary file a write of `path` goes through (same directory: rename is atomic)."""
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it over `path` on success, remove it otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        with open(tmp, "rb") as handle:  # flush to disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete temporary files left by a killed run in `directory`; return what was removed."""
    if not directory.is_dir():
        return []
    stale = sorted(directory.glob(f".*{TEMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
        logger.warning("removed %s left by an interrupted run", path)
    return stale


def write_parquet(frame: pd.DataFrame, path: Path, metadata: Mapping[str, str]) -> None:
    """Write `frame` (without its index) atomically and deterministically, with `metadata`."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[METADATA_KEY] = json.dumps(dict(metadata), sort_keys=True).encode()
    table = table.replace_schema_metadata(schema_meta)
    with atomic_target(path) as tmp:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            row_group_size=max(len(frame), 1),
            write_page_index=False,
        )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV atomically, floats with 10 significant digits, dates ISO."""
    with atomic_target(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g", date_format="%Y-%m-%d")


def read_metadata(path: Path) -> dict[str, str] | None:
    """The job metadata of a Parquet file written by `write_parquet`; None for any other file."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError):
        return None
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        return None
    loaded: dict[str, str] = json.loads(raw)
    return loaded


def commit(paths: OutputPaths) -> None:
    """Declare the run staged at `paths.staging()` complete, then install it.

    The rename of the staging directory is the commit: a job killed after it leaves a complete
    run that the next run's `recover` installs.
    """
    staged, committed = paths.staging().directory, paths.committed().directory
    shutil.rmtree(committed, ignore_errors=True)
    _fsync_directory(staged)
    os.replace(staged, committed)
    install(paths)


def install(paths: OutputPaths) -> None:
    """Move a committed run's files into `paths`: old scores out first, new scores in last.

    Idempotent: after a kill it moves what is left; at every moment the directory holds either
    a complete run or no scores file (an incomplete run, which `recover` completes).
    """
    committed = paths.committed()
    if committed.scores.exists():
        paths.scores.unlink(missing_ok=True)
        for source, target in zip(committed.companions(), paths.companions(), strict=True):
            if source.exists():
                os.replace(source, target)
        os.replace(committed.scores, paths.scores)
        _fsync_directory(paths.directory)
    shutil.rmtree(committed.directory, ignore_errors=True)


def recover(paths: OutputPaths) -> None:
    """Repair what a killed run left in `paths.directory`: finish an interrupted install,
    delete an unfinished staging directory and stale temporary files."""
    remove_stale_temporaries(paths.directory)
    if paths.committed().directory.is_dir():
        logger.warning("%s: completing the install of an interrupted run", paths.directory)
        install(paths)
    staged = paths.staging().directory
    if staged.is_dir():
        logger.warning("removed %s, an unfinished run", staged)
        shutil.rmtree(staged)


def _fsync_directory(directory: Path) -> None:
    """Flush `directory`'s entries (its renames) to disk."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
