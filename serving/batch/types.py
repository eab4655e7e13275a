"""The scoring job's types: its request, its result, its failure and the exit codes.

Both engines (`serving.batch.job` for pandas, `serving.batch.spark` for Spark) take a
`BatchRequest` and return a `BatchResult` or raise a `BatchError`, whose `exit_code` is what
`arsight score` exits with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path

from serving.batch.outputs import OutputPaths
from serving.notifications.delivery import DeliveryReport

Progress = Callable[[int, int], None]
"""Called with (rows scored so far, rows to score) after each chunk."""


class ExitCode(IntEnum):
    """What `arsight score` exits with."""

    OK = 0
    TOO_MANY_REJECTS = 1
    BAD_INPUT = 2
    UNAVAILABLE = 3


class BatchError(Exception):
    """A scoring job that cannot complete; `exit_code` says which kind of failure."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class BatchRequest:
    """The options of one `arsight score` call.

    Attributes:
        directory: the data directory (canonical tables).
        as_of: the scoring date; only facts dated <= as_of are used.
        out: the scores file; companions are written beside it.
        force: rewrite even if `out` exists.
        chunk_size: rows scored at once (bounds the SHAP matrices in memory).
        max_reject_share: fail (exit 1) when a larger share of input rows is rejected.
        previous: the previous run's scores file; default the latest earlier run found
            beside `out`'s directory (`<runs>/*/<out name>`).
        refresh_store: write the features to the online store for serving.
        track: log the run to MLflow.
        allow_beyond_data: score an as-of date more than `STALE_DATA_DAYS` after the data's
            last fact (refused otherwise: the scores would describe a ledger that stopped).
    """

    directory: Path
    as_of: date
    out: Path
    force: bool = False
    chunk_size: int = 10_000
    max_reject_share: float = 0.05
    previous: Path | None = None
    refresh_store: bool = True
    track: bool = True
    allow_beyond_data: bool = False


@dataclass(frozen=True)
class BatchResult:
    """What a job did, for the CLI summary and tests."""

    status: str
    paths: OutputPaths
    rows: int
    not_scored: int
    alerts: int
    tier_counts: dict[str, int]
    reject_share: float
    run_id: str | None
    notifications: DeliveryReport | None = None
