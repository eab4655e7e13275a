"""The markdown model card: what the model is for, how it was built and how well it does.

Rendered from the bundle and its evaluation report only, so the card can never disagree with
the numbers logged beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.bundle import ModelBundle

CLASSIFICATION = ("auc", "pr_auc", "brier", "log_loss", "ece", "lift_top_decile")
REGRESSION = ("dso_mae", "dso_rmse", "dso_coverage_p10_p90")
INVOICE = (
    "mae_days",
    "rmse_days",
    "within_3_days",
    "within_7_days",
    "bucket_log_loss",
    "coverage_p10_p90",
    "days_rows",
)


@dataclass(frozen=True)
class CardContext:
    """Facts about the run that the bundle does not hold."""

    model_name: str
    trained_as_of: str
    training_rows: int
    trials: int
    run_id: str = ""
    version: str = ""


def fmt(value: Any) -> str:
    """A metric for a table cell: 3 decimals, blank when absent."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(
    last_fold: dict[str, dict[str, float]],
    columns: tuple[str, ...] = (*CLASSIFICATION, *REGRESSION),
) -> list[str]:
    """Model and baselines side by side on the last fold."""
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in last_fold.items():
        lines.append(f"| {name} | " + " | ".join(fmt(metrics.get(c)) for c in columns) + " |")
    return lines


def interval_line(bundle: ModelBundle) -> str:
    """How the p10-p90 interval was conformalised (CQR), with its held-out coverage."""
    interval = bundle.report.get("interval")
    q = bundle.interval_adjustment_days
    if interval is None and q == 0.0:
        return "- p10-p90 interval: the quantile models' raw output (not conformalised)."
    if abs(q) < 0.05:  # would print as "widened by 0.0 days"
        how = f"kept as the quantile models give it (adjustment {q:+.2f} days)"
    else:
        how = f"widened by {q:.1f} days" if q > 0 else f"narrowed by {-q:.1f} days"
    line = f"- p10-p90 interval conformalised on held-out folds (CQR): {how}"
    before = (interval or {}).get("held_out_coverage_before")
    after = (interval or {}).get("held_out_coverage_after")
    if before is not None and after is not None:
        target = 1.0 - float(interval["alpha"])  # type: ignore[index]
        line += (
            f"; held-out coverage {before:.1%} before, {after:.1%} after (each fold adjusted "
            f"with earlier folds only; target {target:.0%})"
        )
    return line + "."


def margin_line(report: dict[str, Any]) -> str:
    """The overdue model's last-fold AUC margin over the customer's own prior late share."""
    margin = report.get("margins", {}).get("auc_over_customer_prior_late_share")
    if margin is None:
        return ""
    return (
        f"Overdue AUC margin over `customer_prior_late_share` (each customer's own late share "
        f"before t): {margin:+.3f}."
    )


def credit_section(bundle: ModelBundle) -> list[str]:
    """The delinquency model: what it predicts, its backtest beside its baselines, margins."""
    credit = bundle.report.get("delinquency")
    if credit is None:
        return []
    definition = bundle.label_definition
    lines = [
        "## Credit risk: delinquency_probability",
        "- Calibrated probability that the customer has an invoice unpaid more than "
        f"{definition.get('delinquent_days', 30)} days past its due date on some day of the next "
        f"{definition.get('delinquency_horizon_days', 90)} days (`delinquent_90d`; invoices "
        "issued later count), for every customer active at t.",
    ]
    if "skipped" in credit:
        return [*lines, f"- Not trained: {credit['skipped']}.", ""]
    folds = credit.get("folds", [])
    last = folds[-1] if folds else {}
    calibration = credit.get("calibration", {}).get("method", "unknown")
    margins = ", ".join(
        f"{name.removeprefix('auc_over_')} {fmt(value)}"
        for name, value in credit.get("margins", {}).items()
    )
    return [
        *lines,
        f"- Same parameters as the overdue classifier, own rounds; calibration: {calibration}.",
        f"- Last fold: trained on snapshots up to {last.get('train_end', '?')} (outcomes known "
        f"before the test), tested on {last.get('test_start', '?')} to "
        f"{last.get('test_end', '?')}; {len(folds)} rolling-origin folds.",
        "",
        *metrics_table(credit.get("last_fold", {}), CLASSIFICATION),
        "",
        f"AUC margin of the model over each baseline: {margins}.",
        "",
    ]


def invoice_section(bundle: ModelBundle) -> list[str]:
    """The invoice payment model: outputs, censoring, backtest beside its baselines."""
    section = bundle.report.get("invoice")
    if section is None:
        return []
    lines = [
        "## Collections: the invoice payment model",
        "- Per open invoice: `p_paid_on_time` (by due + "
        f"{bundle.label_definition.get('grace_days', 0)} grace days), `p_late_1_30`, "
        "`p_late_31_60`, `p_late_61_90`, `p_late_over_90` (sum to 1), "
        "`predicted_days_late_p10/p50/p90` and `predicted_payment_date` (due + p50), with "
        "TreeSHAP reasons of the p50.",
    ]
    if "skipped" in section:
        return [*lines, f"- Not trained: {section['skipped']}.", ""]
    folds = section.get("folds", [])
    last = folds[-1] if folds else {}
    interval = section.get("interval", {})
    coverage = interval.get("held_out_coverage")
    ratios = ", ".join(
        f"{name.removeprefix('mae_ratio_over_')} {fmt(value)}"
        for name, value in section.get("margins", {}).items()
    )
    return [
        *lines,
        "- Censoring: a model trained at cut-off K learns only from invoices due at least 90 "
        "days before K (their bucket is decided; one still open is known to be over 90 days "
        "late and enters the quantile models at its lower bound). Test rows still open at "
        "the data end are judged only where their bucket is decided.",
        f"- Same folds as the customer models; last fold tested on {last.get('test_start', '?')}"
        f" to {last.get('test_end', '?')}. p10-p90 conformalised (CQR) by "
        f"{interval.get('adjustment_days', 0.0):+.1f} days"
        + (f"; held-out coverage {coverage:.1%}" if coverage is not None else "")
        + ".",
        "",
        *metrics_table(section.get("last_fold", {}), INVOICE),
        "",
        f"MAE of the model over each baseline's (below 1 is better): {ratios}.",
        "",
    ]


def cash_section(bundle: ModelBundle) -> list[str]:
    """The 13-week cash forecast's backtest (training/cash_backtest.py), where there is one."""
    section = bundle.report.get("invoice", {}).get("cash_forecast")
    if section is None or "skipped" in section:
        return (
            []
            if section is None
            else ["## Cash forecast", f"- No backtest: {section['skipped']}.", ""]
        )
    wape = section["wape"]
    return [
        "## Cash forecast (13 weeks)",
        f"- Backtested out of time at {', '.join(section['dates'])}: expected receipts per "
        "week of the invoices open at each date against what was received (WAPE), beside "
        "'paid on the due date' and 'due date + the customer's average delay'.",
        "",
        *metrics_table(wape, ("weeks_1_4", "weeks_1_13")),
        "",
        f"- p10-p90 band: relative shock {section['shock']:.3f} (fitted out of time); weeks "
        f"inside the band {section['coverage_p10_p90']:.1%}.",
        "",
    ]


def render_model_card(bundle: ModelBundle, context: CardContext) -> str:
    """The card as markdown: what it predicts, how it was built, each model's backtest, limits."""
    report = bundle.report
    folds = report.get("folds", [])
    last = folds[-1] if folds else {}
    lines = [
        f"# Model card: {context.model_name} {_version(context)}".rstrip(),
        "",
        *predicts_lines(bundle),
        "",
        *built_lines(bundle, context),
        "",
        "## Out-of-time performance (last backtest fold)",
        f"Trained on snapshots up to {last.get('train_end', '?')}, tested on "
        f"{last.get('test_start', '?')} to {last.get('test_end', '?')}; "
        f"{len(folds)} rolling-origin folds in all.",
        "",
        *metrics_table(report.get("last_fold", {})),
        "",
        margin_line(report),
        "",
        *credit_section(bundle),
        *invoice_section(bundle),
        *cash_section(bundle),
        "## Limits",
        "- Scores are only as current as the feature snapshot they are computed from.",
        "- Segments with fewer than 30 labelled rows have no metrics in the report.",
        "- The probabilities are ranking and planning aids, not credit decisions; the risk "
        "policy in serving turns the credit risk into tiers and deal decisions.",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _version(context: CardContext) -> str:
    return f"version {context.version}" if context.version else ""


def predicts_lines(bundle: ModelBundle) -> list[str]:
    """ "What it predicts": the two questions (credit, collections) and the DSO forecast."""
    definition = bundle.label_definition
    lines = ["## What it predicts"]
    if bundle.delinquency_classifier is not None:
        lines.append(
            "- `delinquency_probability` (credit: sets the risk tier): calibrated probability "
            f"that an invoice of the customer is more than {definition.get('delinquent_days', 30)}"
            f" days past due within {definition.get('delinquency_horizon_days', 90)} days."
        )
    lines += [
        "- `overdue_probability` (collections): calibrated probability that an invoice of the "
        f"customer falling due in the next {definition.get('horizon_days', 30)} days is paid "
        f"late (grace {definition.get('grace_days', 0)} days).",
        "- `dso_30d` with a p10-p90 interval: the customer's DSO 30 days ahead, in days.",
    ]
    if bundle.invoice_model is not None:
        lines.append(
            "- Per open invoice: the delay-bucket probabilities, days late p10/p50/p90 and the "
            "predicted payment date (invoice payment model)."
        )
    lines.append("- Reasons: exact TreeSHAP contributions of every feature for every model.")
    return lines


def built_lines(bundle: ModelBundle, context: CardContext) -> list[str | None]:
    """ "How it was built": data, features, tuning, calibration, constraints, interval, run."""
    monotone = ", ".join(f"`{k}` ({'+' if v > 0 else '-'})" for k, v in bundle.monotone.items())
    calibration = bundle.report.get("calibration", {}).get("method", "unknown")
    return [
        "## How it was built",
        f"- Trained as of {context.trained_as_of} on {context.training_rows} snapshot rows; "
        f"feature pipeline {bundle.pipeline_version}; "
        f"data fingerprint `{bundle.data_fingerprint[:16]}`.",
        f"- {len(bundle.feature_names)} features ({len(bundle.categorical_features)} categorical, "
        "native LightGBM handling).",
        f"- LightGBM, {context.trials} Optuna trials (seeded TPE, pruning); calibration: "
        f"{calibration} (chosen on held-out folds by Brier).",
        f"- Monotone constraints: {monotone or 'none'}.",
        interval_line(bundle),
        f"- MLflow run `{context.run_id}`." if context.run_id else "",
    ]
