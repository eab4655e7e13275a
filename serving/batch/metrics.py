"""The numbers of a scoring run, the same for both engines (MLflow metrics, file metadata)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from serving.policy import TIERS


def transition_matrix(rows: pd.DataFrame) -> pd.DataFrame:
    """Customers by previous tier (rows, `none` = new) and current tier (`not_scored`)."""
    labels = [*TIERS, "not_scored"]
    before = rows["previous_risk_tier"].fillna("none")
    after = rows["risk_tier"].fillna("not_scored")
    table = pd.crosstab(before, after).reindex(index=[*TIERS, "none"], columns=labels, fill_value=0)
    table.index.name, table.columns.name = "previous", "current"
    return table


def run_metrics(
    rows: pd.DataFrame, alerts: int, psi: Mapping[str, float], rejects: int
) -> dict[str, float]:
    """The run's numbers (also stored in the scores file's metadata, so reruns can report).

    Args:
        psi: population stability index per monitored column (`psi_<name>` metrics).
    """
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
    metrics |= {f"psi_{name}": value for name, value in psi.items()}
    return metrics


def tier_counts(metrics: Mapping[str, float] | Mapping[str, str]) -> dict[str, int]:
    """Customers per tier from the run's metrics (or a scores file's metadata)."""
    return {t: int(float(metrics.get(f"tier_{t}", 0))) for t in TIERS}
