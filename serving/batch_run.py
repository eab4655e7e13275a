"""Finishing a scoring run: compare with the previous run, rank, measure, record, write.

Order matters for "never half-written": the companion files are written first, then the
alerts go to the audit database (replaced per date, so repeating is harmless), then the
MLflow run is logged, and the scores file is renamed into place last. A job killed anywhere
before that leaves no scores file, so the rerun does the whole job again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from mlflow.exceptions import MlflowException

from features.tables import Tables
from models.bundle import ModelBundle
from serving.alerts import find_alerts, record_alerts
from serving.audit import AuditLog
from serving.batch_outputs import OutputPaths, read_metadata, write_csv, write_parquet
from serving.batch_rows import SCORE_FILE_COLUMNS
from serving.batch_tracking import ScoringRunRecord, log_scoring_run, trained_as_of
from serving.drift import DriftReport, measure_drift, reference_frame
from serving.model_loader import ModelRef
from serving.policy import TIERS, Policy
from serving.settings import ServingSettings
from serving.worklist import build_worklist, worklist_invoices

logger = logging.getLogger(__name__)


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


FLOAT_COLUMNS = [
    "overdue_probability",
    "base_probability",
    "dso_30d",
    "dso_30d_p10",
    "dso_30d_p90",
    "base_dso",
    "amount_due_next_30d",
    "expected_overdue_amount",
    "recommended_prepayment_share",
]


def find_previous(paths: OutputPaths, as_of: pd.Timestamp, explicit: Path | None) -> Path | None:
    """The previous run's scores: `explicit`, else the latest earlier `<runs>/*/<name>`."""
    if explicit is not None:
        meta = read_metadata(explicit) if explicit.is_file() else None
        if meta is None or meta.get("kind") != "scores":
            raise BatchError(f"--previous {explicit}: not a scores file", ExitCode.BAD_INPUT)
        return explicit
    found: list[tuple[str, str, Path]] = []
    for candidate in paths.directory.parent.glob(f"*/{paths.scores.name}"):
        meta = read_metadata(candidate)
        if candidate.resolve() == paths.scores.resolve() or meta is None:
            continue
        if meta.get("kind") == "scores" and meta["as_of"] < as_of.date().isoformat():
            found.append((meta["as_of"], candidate.parent.name, candidate))
    return max(found)[2] if found else None


def load_previous(path: Path | None) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Scored rows, contributions and as-of date of the previous run (empty without one)."""
    if path is None:
        return pd.DataFrame({"risk_tier": pd.Series(dtype="str")}), None, ""
    as_of = (read_metadata(path) or {}).get("as_of", "")
    scores = pd.read_parquet(path)
    scores = scores.loc[scores["scored"]].set_index("customer_id")
    contributions = path.parent / "contributions.parquet"
    if not contributions.is_file():
        logger.warning("%s has no contributions: alerts name no features", path.parent)
        return scores, None, as_of
    return scores, pd.read_parquet(contributions).set_index("customer_id"), as_of


def transition_matrix(rows: pd.DataFrame) -> pd.DataFrame:
    """Customers by previous tier (rows, `none` = new) and current tier (`not_scored`)."""
    labels = [*TIERS, "not_scored"]
    before = rows["previous_risk_tier"].fillna("none")
    after = rows["risk_tier"].fillna("not_scored")
    table = pd.crosstab(before, after).reindex(index=[*TIERS, "none"], columns=labels, fill_value=0)
    table.index.name, table.columns.name = "previous", "current"
    return table


def contributions_frame(points: pd.DataFrame) -> pd.DataFrame:
    """Overdue contributions by customer, without features that never contribute."""
    values = points.astype("float64")
    values = values.loc[:, (values != 0).any(axis=0)].sort_index()
    values.index = values.index.astype("str")
    values.index.name = "customer_id"
    return values.reset_index()


def drift_of(
    settings: ServingSettings,
    ref: ModelRef,
    bundle: ModelBundle,
    tables: Tables,
    scored: pd.DataFrame,
    features: pd.DataFrame,
    as_of: pd.Timestamp,
) -> DriftReport:
    """PSI against the model's training snapshots (see `serving.drift`)."""
    trained = trained_as_of(settings.mlflow_uri, ref) or as_of
    reference = reference_frame(tables, min(trained, as_of))
    current = features.loc[scored.index]
    return measure_drift(reference, current, scored["overdue_probability"], bundle)


def run_metrics(
    rows: pd.DataFrame, alerts: int, drift: DriftReport, rejects: int
) -> dict[str, float]:
    """The run's numbers (also stored in the scores file's metadata, so reruns can report)."""
    scored = rows.loc[rows["scored"]]
    counts = scored["risk_tier"].value_counts()
    metrics = {
        "rows": float(len(rows)),
        "rows_scored": float(len(scored)),
        "rows_not_scored": float(len(rows) - len(scored)),
        "rows_rejected": float(rejects),
        "alerts": float(alerts),
        "mean_overdue_probability": float(scored["overdue_probability"].mean()),
        "expected_overdue_amount": float(scored["expected_overdue_amount"].sum()),
    }
    metrics |= {f"tier_{t}": float(counts.get(t, 0)) for t in TIERS}
    metrics |= {f"psi_{name}": value for name, value in drift.psi.items()}
    return metrics


@dataclass(frozen=True)
class RunFrames:
    """What a run computed from its rows and the previous run, ready to be written."""

    rows: pd.DataFrame
    current: pd.DataFrame
    alerts: pd.DataFrame
    worklist: pd.DataFrame
    invoices: pd.DataFrame
    previous_as_of: str


def compare_and_rank(
    request: BatchRequest,
    paths: OutputPaths,
    model: dict[str, str],
    rows: pd.DataFrame,
    points: pd.DataFrame,
    context: tuple[Tables, pd.DataFrame],
) -> RunFrames:
    """Previous tiers, alerts, the worklist and its open invoices."""
    tables, features = context
    as_of = pd.Timestamp(request.as_of)
    previous, previous_points, previous_as_of = load_previous(
        find_previous(paths, as_of, request.previous)
    )
    rows = rows.assign(
        previous_risk_tier=rows["customer_id"].map(previous["risk_tier"]).astype("str"), **model
    )[SCORE_FILE_COLUMNS]
    rows = rows.astype(dict.fromkeys(FLOAT_COLUMNS, "float64"))
    current = rows.loc[rows["scored"]].set_index("customer_id")
    worklist = build_worklist(rows, features)
    return RunFrames(
        rows=rows,
        current=current,
        alerts=find_alerts(current, previous, points, previous_points),
        worklist=worklist,
        invoices=worklist_invoices(worklist, tables, as_of),
        previous_as_of=previous_as_of,
    )


def write_companions(
    paths: OutputPaths,
    frames: RunFrames,
    points: pd.DataFrame,
    rejects: pd.DataFrame,
    meta: dict[str, str],
) -> None:
    """Every output but the scores file, each atomically."""
    write_csv(rejects, paths.rejects)
    contributions = contributions_frame(points)
    write_parquet(contributions, paths.contributions, {**meta, "kind": "contributions"})
    write_parquet(frames.alerts, paths.alerts, {**meta, "kind": "alerts"})
    write_parquet(frames.worklist, paths.worklist, {**meta, "kind": "worklist"})
    write_parquet(frames.invoices, paths.worklist_invoices, {**meta, "kind": "worklist_invoices"})


def record_in_audit(url: str, alerts: pd.DataFrame, day: date, model: dict[str, str]) -> None:
    """The run's alerts into the audit database; exit code 3 if it is unavailable."""
    try:
        audit = AuditLog(url)
        audit.migrate()
        record_alerts(audit.engine, alerts, day, model)
        audit.dispose()
    except sa.exc.SQLAlchemyError as exc:
        raise BatchError(f"audit database {url}: {exc}", ExitCode.UNAVAILABLE) from exc


def track(
    settings: ServingSettings,
    request: BatchRequest,
    meta: dict[str, str],
    metrics: dict[str, float],
    frames: RunFrames,
) -> str:
    """The MLflow run of the job; exit code 3 if MLflow is unavailable."""
    record = ScoringRunRecord(
        run_name=f"score-{meta['as_of']}",
        params={
            **meta,
            "engine": "pandas",
            "rows": str(len(frames.rows)),
            "chunk_size": str(request.chunk_size),
        },
        metrics=metrics,
        probabilities=frames.current["overdue_probability"].to_numpy(float),
        transitions=transition_matrix(frames.rows),
        worklist=frames.worklist,
    )
    try:
        return log_scoring_run(settings.mlflow_uri, record)
    except (MlflowException, OSError) as exc:
        raise BatchError(f"MLflow {settings.mlflow_uri}: {exc}", ExitCode.UNAVAILABLE) from exc


def finish_run(
    *,
    request: BatchRequest,
    settings: ServingSettings,
    paths: OutputPaths,
    run: tuple[ModelRef, ModelBundle, Policy],
    tables: Tables,
    features: pd.DataFrame,
    rows: pd.DataFrame,
    points: pd.DataFrame,
    rejects: pd.DataFrame,
    fingerprint: str,
    reject_share: float,
) -> BatchResult:
    """Alerts, worklist, drift, audit, MLflow, then every output (see the module docstring)."""
    ref, bundle, policy = run
    as_of = pd.Timestamp(request.as_of)
    model = {"model_name": ref.name, "model_version": ref.version, "policy_version": policy.version}
    frames = compare_and_rank(request, paths, model, rows, points, (tables, features))
    drift = DriftReport({}, 0, [])
    if request.track:
        drift = drift_of(settings, ref, bundle, tables, frames.current, features, as_of)
    metrics = run_metrics(frames.rows, len(frames.alerts), drift, len(rejects))
    meta = {
        "as_of": as_of.date().isoformat(),
        "data_fingerprint": fingerprint,
        "previous_as_of": frames.previous_as_of,
        "reject_share": repr(reject_share),
        **model,
    }
    write_companions(paths, frames, points, rejects, meta)
    record_in_audit(settings.audit_url, frames.alerts, as_of.date(), model)
    run_id = track(settings, request, meta, metrics, frames) if request.track else None
    summary = {k: repr(v) for k, v in metrics.items()}
    write_parquet(frames.rows, paths.scores, {**meta, **summary, "kind": "scores"})
    return BatchResult(
        status="written",
        paths=paths,
        rows=len(frames.rows),
        not_scored=int(metrics["rows_not_scored"]),
        alerts=len(frames.alerts),
        tier_counts={t: int(metrics[f"tier_{t}"]) for t in TIERS},
        reject_share=reject_share,
        run_id=run_id,
    )
