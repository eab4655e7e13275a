"""The scheduled scoring job: every customer scored as of a date, explained, tiered, ranked.

`run_batch` loads and validates a data directory, builds the features as of DATE with the
one feature pipeline, scores them in chunks with the one scoring function the online service
uses (`serving.scoring.score_frame_with_points`: same bundle, same policy, reason context over
the whole portfolio, so batch and online answers are identical), compares with the previous
run (tiers, early warnings), ranks the collections worklist, measures drift, records alerts in
the audit database, refreshes the online store, logs an MLflow run and writes its outputs
(see `serving.batch_outputs`): the scores file last, so its presence means "done".

Every customer of the customers table gets a row. One that cannot be scored says why in
`not_scored_reason`: its record was rejected by validation, it was not yet a customer at DATE
(onboarded later, or no invoice by then), or it has no features at DATE.

Exit codes (see `ExitCode`): 0 written or skipped, 1 too many rejected rows, 2 bad input
(data contract, options, policy), 3 model registry, MLflow or audit database unavailable.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from features.build import FEATURE_PIPELINE_VERSION, online_frame
from features.catalog import FEATURES
from features.errors import FeaturesError, StoreError
from features.store import read_online_store, write_online_store
from features.tables import Tables
from features.validate import ValidationReport, validate_directory
from models.bundle import ModelBundle
from models.errors import ModelError
from serving.batch_outputs import (
    OutputPaths,
    read_metadata,
    remove_stale_temporaries,
    write_csv,
)
from serving.batch_rows import assemble_rows, reject_rows, score_chunks
from serving.batch_run import (
    BatchError,
    BatchRequest,
    BatchResult,
    ExitCode,
    find_previous,
    finish_run,
)
from serving.errors import ModelLoadError, PolicyError
from serving.model_loader import ModelRef, ModelSource
from serving.policy import TIERS, Policy, load_policy
from serving.scoring import build_reason_context
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (rows scored so far, rows to score) after each chunk."""


def data_fingerprint(tables: Tables) -> str:
    """A short hash of the canonical tables' contents (stable across runs and machines)."""
    digest = hashlib.sha256()
    for name, frame in tables.items():
        digest.update(name.encode())
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(hashed.tobytes())
    return digest.hexdigest()[:16]


def validated_tables(directory: Path) -> tuple[Tables, pd.DataFrame, float]:
    """The good rows of every table, the rejected rows and their share of the rows read."""
    try:
        report: ValidationReport = validate_directory(directory)
    except FeaturesError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    if report.tables is None:
        problems = "; ".join(str(p) for p in report.errors[:5])
        raise BatchError(f"{directory}: unusable data: {problems}", ExitCode.BAD_INPUT)
    rejects = reject_rows(report)
    read = sum(report.rows_read.values())
    return report.tables, rejects, len(rejects) / read if read else 0.0


def check_rejects(rejects: pd.DataFrame, share: float, limit: float, paths: OutputPaths) -> None:
    """Above `limit`, write rejects.csv and fail with exit code 1 (nothing else is written)."""
    if share <= limit:
        return
    write_csv(rejects, paths.rejects)
    raise BatchError(
        f"{len(rejects)} input rows rejected ({share:.1%}), above --max-reject-share "
        f"{limit:.1%}; reasons in {paths.rejects}",
        ExitCode.TOO_MANY_REJECTS,
    )


def load_model(settings: ServingSettings) -> tuple[ModelRef, ModelBundle, Policy]:
    """The champion (or configured alias) and the risk policy."""
    source = ModelSource(settings.mlflow_uri, settings.model_name, settings.model_alias)
    try:
        ref = source.resolve()
        bundle = source.load(ref)
    except ModelLoadError as exc:
        raise BatchError(str(exc), ExitCode.UNAVAILABLE) from exc
    try:
        policy = load_policy(settings.policy)
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    if str(bundle.pipeline_version) != FEATURE_PIPELINE_VERSION:
        raise BatchError(
            f"{ref.uri} was trained on feature pipeline {bundle.pipeline_version}; this code "
            f"builds pipeline {FEATURE_PIPELINE_VERSION}: retrain or score with matching code",
            ExitCode.BAD_INPUT,
        )
    return ref, bundle, policy


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


def skipped(paths: OutputPaths) -> BatchResult:
    """The result of a run whose output already exists (nothing is recomputed)."""
    meta = read_metadata(paths.scores) or {}
    counts = {t: int(float(meta.get(f"tier_{t}", 0))) for t in TIERS}
    return BatchResult(
        status="skipped",
        paths=paths,
        rows=int(float(meta.get("rows", 0))),
        not_scored=int(float(meta.get("rows_not_scored", 0))),
        alerts=int(float(meta.get("alerts", 0))),
        tier_counts=counts,
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
    remove_stale_temporaries(paths.directory)
    if paths.scores.exists() and not request.force:
        logger.info("%s exists: skipped (use --force to rewrite)", paths.scores)
        return skipped(paths)
    if request.previous is not None:  # a wrong --previous fails before any work
        find_previous(paths, pd.Timestamp(request.as_of), request.previous)
    tables, rejects, share = validated_tables(request.directory)
    check_rejects(rejects, share, request.max_reject_share, paths)
    ref, bundle, policy = load_model(settings)
    as_of = pd.Timestamp(request.as_of)
    frame = online_frame(tables, as_of)
    try:
        policy.check_columns(frame.columns)
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    features = frame.set_index("customer_id", drop=False)
    catalog = {s.name: (s.definition, s.unit, s.kind) for s in FEATURES}
    context = build_reason_context(features, bundle, policy, catalog, settings.reasons_top_k)
    try:
        scores, points = score_chunks(
            features, bundle, policy, context, request.chunk_size, progress
        )
    except ModelError as exc:
        raise BatchError(f"{ref.uri}: {exc}", ExitCode.BAD_INPUT) from exc
    rows = assemble_rows(tables, rejects, features, scores, as_of, policy)
    if request.refresh_store and not newer_store_exists(settings, as_of):
        try:
            write_online_store(frame, settings.online_store_location)
        except StoreError as exc:
            raise BatchError(str(exc), ExitCode.UNAVAILABLE) from exc
    return finish_run(
        request=request,
        settings=settings,
        paths=paths,
        run=(ref, bundle, policy),
        tables=tables,
        features=features,
        rows=rows,
        points=points,
        rejects=rejects,
        fingerprint=data_fingerprint(tables),
        reject_share=share,
    )
