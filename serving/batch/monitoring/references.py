"""What each judged figure is compared with: the model card's backtest, and how far is too far.

Each figure has a direction (AUC and coverage: lower is worse; ECE, MAE and WAPE: higher is
worse), the backtest figure it is read against (from the served bundle's metrics and report)
and the policy margin (`monitoring:` in the policy YAML) beyond which a model alert is raised.
A figure whose backtest counterpart is missing is reported without an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.bundle import ModelBundle
from serving.policy import Monitoring


@dataclass(frozen=True)
class Check:
    """How one figure is judged: its backtest value, the margin, and which way is worse."""

    reference: float | None
    margin: float
    higher_is_worse: bool

    def alert(self, value: float) -> bool:
        """Whether `value` is worse than the backtest by more than the margin."""
        if self.reference is None:
            return False
        if self.higher_is_worse:
            return value > self.reference + self.margin
        return value < self.reference - self.margin


def _at(tree: Mapping[str, Any], *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) else None


def checks(bundle: ModelBundle, policy: Monitoring, lookback_days: int) -> dict[str, Check]:
    """The checks of every figure `serving.batch.monitoring.judge` reports."""
    report, metrics = bundle.report, bundle.metrics
    credit = ("delinquency", "last_fold", "model")
    invoice = ("invoice", "last_fold", "model")
    span = "weeks_1_4" if lookback_days <= 31 else "weeks_1_13"
    return {
        "overdue_auc": Check(_at(metrics, "auc"), policy.auc_drop, False),
        "overdue_ece": Check(_at(metrics, "ece"), policy.ece_rise, True),
        "delinquency_auc": Check(_at(report, *credit, "auc"), policy.auc_drop, False),
        "delinquency_ece": Check(_at(report, *credit, "ece"), policy.ece_rise, True),
        "invoice_mae_days": Check(_at(report, *invoice, "mae_days"), policy.mae_rise_days, True),
        "invoice_coverage_p10_p90": Check(
            _at(report, "invoice", "interval", "held_out_coverage"), policy.coverage_drop, False
        ),
        "cash_wape": Check(
            _at(report, "invoice", "cash_forecast", "wape", "model", span), policy.wape_rise, True
        ),
        "cash_band_coverage": Check(
            _at(report, "invoice", "cash_forecast", "coverage_p10_p90"), policy.coverage_drop, False
        ),
    }
