"""Benchmark helpers: the invoice payment model against its simple baselines (issue 14 targets).

Days late, last backtest fold: MAE <= 0.8 x the best simple baseline (the customer's historical
median days late, "paid on the due date"; the untuned LightGBM is reported beside it, not the
bar), and p10-p90 coverage in [0.75, 0.85].
"""

from __future__ import annotations

from training.workflow import Development

SIMPLE = ("customer_median_days_late", "paid_on_due_date")
SHOWN = ("mae_days", "rmse_days", "within_3_days", "within_7_days", "coverage_p10_p90")


def print_invoice_gates(
    development: Development, title: str = "Invoice days late", bar: float = 0.8
) -> bool:
    """The invoice model's last fold beside its baselines and PASS/FAIL; True when all pass.

    `bar`: the MAE must be at most this share of the best simple baseline's (0.8 on the
    synthetic world; on IBM's ledger the target is "below every simple baseline", checked as
    strictly below 1.0 with coverage reported only).
    """
    report = development.bundle.report.get("invoice", {})
    if "last_fold" not in report:
        print(f"\n{title}: no invoice model ({report.get('skipped', 'no report')})")
        return False
    metrics = report["last_fold"]
    fold = report["folds"][-1]
    print(f"\n{title}, last fold: tested {fold['test_start']} to {fold['test_end']}")
    print(f"{'model':<30}" + "".join(f"{n:>18}" for n in SHOWN))
    for name, values in metrics.items():
        cells = "".join(f"{values[n]:>18.4f}" if n in values else f"{'':>18}" for n in SHOWN)
        print(f"{name:<30}{cells}")
    model = metrics["model"]
    best = min(metrics[n]["mae_days"] for n in SIMPLE if n in metrics)
    coverage = model.get("coverage_p10_p90", float("nan"))
    gates = [
        (f"MAE / best simple baseline {'<=' if bar < 1 else '<'} {bar}", model["mae_days"] / best,
         model["mae_days"] <= bar * best if bar < 1 else model["mae_days"] < best),
    ]  # fmt: skip
    if bar < 1:
        gates.append(("p10-p90 coverage in [0.75, 0.85]", coverage, 0.75 <= coverage <= 0.85))
    for name, value, ok in gates:
        print(f"  {name:<46}{value:>10.4f}  {'PASS' if ok else 'FAIL'}")
    if "lightgbm_untuned" in metrics:
        ratio = model["mae_days"] / metrics["lightgbm_untuned"]["mae_days"]
        print(f"  {'(info) MAE / untuned LightGBM':<46}{ratio:>10.4f}")
    return all(ok for _, _, ok in gates)
