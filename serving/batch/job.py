"""The scheduled scoring job on pandas: every customer scored as of a date, explained, ranked.

`run_batch` builds one `ScoringRun` (`serving.batch.run`: validation, the one feature
pipeline, the one scoring function the online service uses, `serving.scoring
.score_frame_with_points`: same bundle, same policy, reason context over the whole portfolio,
so batch and online answers are identical), refreshes the online store, then finishes the run
(`serving.batch.finish`): compares with the previous run (tiers, early warnings), ranks the
collections worklist, measures drift, records alerts in the audit database, logs an MLflow run
and writes its outputs (see `serving.batch.outputs`): into a staging directory, installed
when complete, the scores file last, so its presence means "done".

Every customer of the customers table gets a row. One that cannot be scored says why in
`not_scored_reason`: its record was rejected by validation, it was not yet a customer at DATE
(onboarded later, or no invoice by then), or it has no features at DATE.

Exit codes (see `serving.batch.types.ExitCode`): 0 written or skipped, 1 too many rejected
rows, 2 bad input (data contract, options, policy), 3 model registry, MLflow or audit
database unavailable.
"""

from __future__ import annotations

import logging

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from features.errors import StoreError
from features.invoice_store import write_invoice_store
from features.store import read_online_store, write_online_store
from serving.batch.finish import finish_run
from serving.batch.history import find_previous
from serving.batch.metrics import tier_counts
from serving.batch.outputs import OutputPaths, read_metadata, recover
from serving.batch.run import ScoringRun, build_run
from serving.batch.types import BatchError, BatchRequest, BatchResult, ExitCode, Progress
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)


def newer_store_exists(settings: ServingSettings, as_of: pd.Timestamp) -> bool:
    """Whether the online store already holds a later snapshot than `as_of`.

    A backfill (scoring an old date) must not replace the live store with old features: the
    server would start answering from them.
    """
    location = settings.online_store_location
    try:
        current = read_online_store(location).features_as_of
    except (StoreError, FileNotFoundError):
        return False
    if current > as_of:
        logger.warning(
            "online store not refreshed: it holds %s, later than this run's %s",
            current.date(),
            as_of.date(),
        )
        return True
    return False


def refresh_store(run: ScoringRun) -> None:
    """Write the run's features to the online store (its open invoices beside it, first),
    unless not asked or a backfill."""
    if not run.request.refresh_store or newer_store_exists(run.settings, run.as_of):
        return
    try:
        write_invoice_store(run.tables, run.as_of, run.settings.online_store_location)
        write_online_store(run.frame, run.settings.online_store_location)
    except (StoreError, OSError, SQLAlchemyError) as exc:
        raise BatchError(str(exc), ExitCode.UNAVAILABLE) from exc


def skipped(paths: OutputPaths) -> BatchResult:
    """The result of a run whose output already exists (nothing is recomputed)."""
    meta = read_metadata(paths.scores) or {}
    return BatchResult(
        status="skipped",
        paths=paths,
        rows=int(float(meta.get("rows", 0))),
        not_scored=int(float(meta.get("rows_not_scored", 0))),
        alerts=int(float(meta.get("alerts", 0))),
        tier_counts=tier_counts(meta),
        reject_share=float(meta.get("reject_share", 0.0)),
        run_id=None,
    )


def run_batch(
    request: BatchRequest, settings: ServingSettings, progress: Progress | None = None
) -> BatchResult:
    """Run one scoring job (see the module docstring).

    Raises:
        BatchError: with the exit code the CLI should use.
    """
    paths = OutputPaths(request.out)
    recover(paths)  # an interrupted run's install completed, an unfinished one deleted
    if paths.scores.exists() and not request.force:
        logger.info("%s exists: skipped (use --force to rewrite)", paths.scores)
        return skipped(paths)
    if request.previous is not None:  # a wrong --previous fails before any work
        find_previous(paths, pd.Timestamp(request.as_of), request.previous)
    run = build_run(request, settings, paths, progress)
    refresh_store(run)
    return finish_run(run)
