"""Finishing a pandas scoring run: compare with the previous run, rank, measure, record, write.

Each step is a function of the `ScoringRun` (and of what earlier steps computed). Order
matters for "never half-written": the files are written into the run's staging directory
(companions first), then the alerts go to the audit database (replaced per date, so repeating
is harmless) with the day's collections actions (`serving.collections.generate`: planned
idempotently per date), the open actions are written as actions.parquet, then the MLflow run
is logged, the scores file is written last and the staged
run committed and installed (`serving.batch.outputs.commit`). A job killed anywhere before
the commit leaves the run directory as it was (the next run deletes the staging directory and
does the whole job again); after it, the next run completes the install.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from mlflow.exceptions import MlflowException
from sqlalchemy.engine import Engine

from features.invoices import open_invoices_at
from serving.audit import AuditLog
from serving.batch.alerts import find_alerts, record_alerts
from serving.batch.cash import cash_frames
from serving.batch.drift import DriftReport, measure_drift, reference_frame
from serving.batch.history import EXPLAINED, find_previous, load_previous
from serving.batch.metrics import run_metrics, tier_counts, transition_matrix
from serving.batch.monitoring.step import judge_runs, judged_metrics
from serving.batch.outputs import OutputPaths, commit, write_csv, write_parquet
from serving.batch.rows import FLOAT_COLUMNS, SCORE_FILE_COLUMNS
from serving.batch.run import ScoringRun
from serving.batch.terms_review import terms_review
from serving.batch.tracking import ScoringRunRecord, log_scoring_run, trained_as_of
from serving.batch.types import BatchError, BatchResult, ExitCode
from serving.batch.worklist import build_worklist, worklist_invoices
from serving.collections.generate import ActionsOfDay, empty_actions, generate_actions
from serving.notifications.push import push_events, queue_events, webhook_of


@dataclass(frozen=True)
class RunFrames:
    """What a run computed from its rows and the previous run, ready to be written."""

    rows: pd.DataFrame
    current: pd.DataFrame
    alerts: pd.DataFrame
    worklist: pd.DataFrame
    invoices: pd.DataFrame
    previous_as_of: str
    judged: pd.DataFrame


def contributions_frame(points: pd.DataFrame) -> pd.DataFrame:
    """Delinquency contributions by customer, without features that never contribute."""
    values = points.astype("float64")
    values = values.loc[:, (values != 0).any(axis=0)].sort_index()
    values.index = values.index.astype("str")
    values.index.name = "customer_id"
    return values.reset_index()


def compare_and_rank(run: ScoringRun) -> RunFrames:
    """Previous tiers, alerts, the worklist and its open invoices."""
    request = run.request
    previous, previous_points, previous_as_of = load_previous(
        find_previous(run.paths, run.as_of, request.previous)
    )
    rows = run.rows.assign(
        previous_risk_tier=run.rows["customer_id"].map(previous["risk_tier"]).astype("str"),
        **run.champion.provenance(),
    )[SCORE_FILE_COLUMNS]
    rows = rows.astype(dict.fromkeys(FLOAT_COLUMNS, "float64"))
    current = rows.loc[rows["scored"]].set_index("customer_id")
    worklist = build_worklist(rows, run.features)
    return RunFrames(
        rows=rows,
        current=current,
        alerts=find_alerts(current, previous, run.contributions, previous_points, run.features),
        worklist=worklist,
        invoices=worklist_invoices(worklist, run.tables, run.as_of),
        previous_as_of=previous_as_of,
        judged=judge_runs(
            run.paths.directory.parent,
            run.tables,
            run.as_of,
            run.champion.bundle,
            run.champion.policy.monitoring,
        ),
    )


def drift_of(run: ScoringRun, frames: RunFrames) -> DriftReport:
    """PSI against the model's training snapshots (see `serving.batch.drift`); none untracked."""
    if not run.request.track:
        return DriftReport({}, 0, [])
    trained = trained_as_of(run.settings.mlflow_uri, run.champion.ref) or run.as_of
    reference = reference_frame(run.tables, min(trained, run.as_of))
    current = run.features.loc[frames.current.index]
    return measure_drift(
        reference, current, frames.current["overdue_probability"], run.champion.bundle
    )


def run_metadata(run: ScoringRun, frames: RunFrames) -> dict[str, str]:
    """The metadata every output file carries (no clock reading: outputs are deterministic)."""
    return {
        "as_of": run.as_of.date().isoformat(),
        "data_fingerprint": run.fingerprint,
        "previous_as_of": frames.previous_as_of,
        "reject_share": repr(run.reject_share),
        **run.champion.provenance(),
    }


def write_companions(
    run: ScoringRun, frames: RunFrames, meta: dict[str, str], paths: OutputPaths
) -> None:
    """Every output but the scores file, each atomically, at `paths` (the staging directory)."""
    write_csv(run.rejects, paths.rejects)
    contributions = contributions_frame(run.contributions)
    write_parquet(
        contributions,
        paths.contributions,
        {**meta, "kind": "contributions", "explains": EXPLAINED},
    )
    write_parquet(frames.alerts, paths.alerts, {**meta, "kind": "alerts"})
    write_parquet(frames.worklist, paths.worklist, {**meta, "kind": "worklist"})
    write_parquet(frames.invoices, paths.worklist_invoices, {**meta, "kind": "worklist_invoices"})
    write_parquet(run.invoices, paths.invoices, {**meta, "kind": "invoices"})
    write_cash_forecast(run, meta, paths)
    review = terms_review(frames.rows, run.features, run.champion.policy)
    write_parquet(review, paths.terms_review, {**meta, "kind": "terms_review"})
    write_parquet(frames.judged, paths.judged, {**meta, "kind": "judged"})


def write_cash_forecast(run: ScoringRun, meta: dict[str, str], paths: OutputPaths) -> None:
    """The 13-week cash forecast and the weeks received before it (`serving.cash`)."""
    model = run.champion.bundle.invoice_model
    frames = cash_frames(run.invoices, run.tables, run.as_of, model)
    shock = {"cash_band_shock": repr(0.0 if model is None else model.cash_band_shock)}
    write_parquet(frames.portfolio, paths.cash_forecast, {**meta, **shock, "kind": "cash_forecast"})
    write_parquet(
        frames.customers,
        paths.cash_forecast_customers,
        {**meta, **shock, "kind": "cash_forecast_customers"},
    )
    write_parquet(frames.received, paths.cash_received, {**meta, "kind": "cash_received"})


def record_in_audit(run: ScoringRun, frames: RunFrames) -> ActionsOfDay:
    """The run's alerts and the day's collections actions into the audit database; the
    actions open at the date. Exit code 3 if the database is unavailable."""
    url = run.settings.audit_url
    try:
        audit = AuditLog(url)
        audit.migrate()
        record_alerts(audit.engine, frames.alerts, run.as_of.date(), run.champion.provenance())
        actions = plan_collections(audit.engine, run, frames)
        if webhook_of(run.settings) is not None:
            queue_events(
                audit.engine, frames.alerts, actions.actions, frames.judged, run.as_of.date()
            )
        audit.dispose()
    except sa.exc.SQLAlchemyError as exc:
        raise BatchError(f"audit database {url}: {exc}", ExitCode.UNAVAILABLE) from exc
    return actions


def plan_collections(engine: Engine, run: ScoringRun, frames: RunFrames) -> ActionsOfDay:
    """The day's collections actions, planned from the invoice predictions.

    Without an invoice model there are no predictions to plan with, and the store is left as
    it stands: no action is planned, and none is closed because its invoice went unpredicted.
    """
    if run.champion.bundle.invoice_model is None:
        return ActionsOfDay(empty_actions(), {"new_actions": 0})
    policy = run.champion.policy
    ledger_open = open_invoices_at(run.tables, run.as_of)["invoice_id"]
    return generate_actions(
        engine,
        policy.dunning,
        policy.version,
        ladder_input(run, frames),
        run.as_of.date(),
        ledger_open.astype("str").tolist(),
    )


def ladder_input(run: ScoringRun, frames: RunFrames) -> pd.DataFrame:
    """The open invoices' predictions with their customer's tier and the ledger's dispute flag."""
    invoices = run.invoices
    tiers = frames.rows.set_index("customer_id")["risk_tier"]
    ledger = run.tables.invoices.set_index("invoice_id")
    disputed = ledger["disputed"] if "disputed" in ledger else pd.Series(False, index=ledger.index)
    return invoices.assign(
        risk_tier=invoices["customer_id"].map(tiers).astype("str"),
        disputed=invoices["invoice_id"].map(disputed).fillna(False).astype(bool),
    )


def track(
    run: ScoringRun, frames: RunFrames, meta: dict[str, str], metrics: dict[str, float]
) -> str | None:
    """The MLflow run of the job (None untracked); exit code 3 if MLflow is unavailable."""
    if not run.request.track:
        return None
    record = ScoringRunRecord(
        run_name=f"score-{meta['as_of']}",
        params={
            **meta,
            "engine": "pandas",
            "rows": str(len(frames.rows)),
            "chunk_size": str(run.request.chunk_size),
        },
        metrics=metrics,
        probabilities=frames.current["overdue_probability"].to_numpy(float),
        transitions=transition_matrix(frames.rows),
        worklist=frames.worklist,
    )
    uri = run.settings.mlflow_uri
    try:
        return log_scoring_run(uri, record)
    except (MlflowException, OSError) as exc:
        raise BatchError(f"MLflow {uri}: {exc}", ExitCode.UNAVAILABLE) from exc


def finish_run(run: ScoringRun) -> BatchResult:
    """Alerts, worklist, drift, audit, MLflow, then every output (see the module docstring)."""
    frames = compare_and_rank(run)
    drift = drift_of(run, frames)
    metrics = run_metrics(frames.rows, len(frames.alerts), drift.psi, len(run.rejects))
    meta = run_metadata(run, frames)
    staged = run.paths.staging()
    write_companions(run, frames, meta, staged)
    actions = record_in_audit(run, frames)
    write_parquet(actions.actions, staged.actions, {**meta, "kind": "actions"})
    run_id = track(run, frames, meta, {**metrics, **judged_metrics(frames.judged)})
    summary = {k: repr(v) for k, v in metrics.items()}
    write_parquet(frames.rows, staged.scores, {**meta, **summary, "kind": "scores"})
    commit(run.paths)
    pushed = push_events(run.settings)
    return BatchResult(
        status="written",
        paths=run.paths,
        rows=len(frames.rows),
        not_scored=int(metrics["rows_not_scored"]),
        alerts=len(frames.alerts),
        tier_counts=tier_counts(metrics),
        reject_share=run.reject_share,
        run_id=run_id,
        notifications=pushed,
    )
