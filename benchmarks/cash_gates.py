"""Benchmark helpers: the 13-week cash forecast against its baselines (issue 16 targets).

From the invoice model's out-of-time backtest (training/cash_backtest.py): WAPE of weekly
receipts over weeks 1-4 and 1-13 for the model, "paid on the due date" and "due date + the
customer's average delay"; PASS/FAIL for WAPE weeks 1-4 <= 0.7 x the due-date baseline's and
<= 0.85 x the average-delay baseline's, and the p10-p90 band covering 75-85% of the weeks.
"""

from __future__ import annotations

from training.workflow import Development

METHODS = ("model", "due_date", "average_delay")
BARS = {"due_date": 0.7, "average_delay": 0.85}


def print_cash_gates(development: Development, title: str = "Cash forecast, 13 weeks") -> bool:
    """The cash backtest's figures and PASS/FAIL; True when all pass."""
    cash = development.bundle.report.get("invoice", {}).get("cash_forecast")
    if cash is None or "skipped" in cash:
        print(f"\n{title}: no backtest ({(cash or {}).get('skipped', 'no invoice model')})")
        return False
    print(
        f"\n{title}: as of {', '.join(cash['dates'])} "
        f"({cash['invoice_rows']} open invoice rows, out of time)"
    )
    print(f"{'method':<30}{'WAPE weeks 1-4':>18}{'WAPE weeks 1-13':>18}")
    for name in METHODS:
        values = cash["wape"][name]
        print(f"{name:<30}{values['weeks_1_4']:>18.4f}{values['weeks_1_13']:>18.4f}")
    model = cash["wape"]["model"]["weeks_1_4"]
    gates = []
    for name, bar in BARS.items():
        ratio = model / cash["wape"][name]["weeks_1_4"]
        gates.append((f"WAPE 1-4 / {name} <= {bar}", ratio, ratio <= bar))
        long = cash["ratios"][f"weeks_1_13_over_{name}"]
        print(f"  {'(info) WAPE 1-13 / ' + name:<46}{long:>10.4f}")
    coverage = cash["coverage_p10_p90"]
    gates.append(("p10-p90 band covers [0.75, 0.85] of weeks", coverage, 0.75 <= coverage <= 0.85))
    for name, value, ok in gates:
        print(f"  {name:<46}{value:>10.4f}  {'PASS' if ok else 'FAIL'}")
    print(f"  {'(info) band shock (relative, all weeks)':<46}{cash['shock']:>10.4f}")
    return all(ok for _, _, ok in gates)
