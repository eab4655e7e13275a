"""What the demo prints after scoring: the tier mix and a few customers, as a risk officer reads.

The tier mix says what share of the scored portfolio lands in each tier, how likely each tier
is on average to fall 30+ days behind, and how much falls due there in the next 30 days; the
examples show the first customer of the ledger (the one the curl examples use) and the
riskiest ones with their top reasons in business words, so a reader can judge whether the
answers make sense.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from serving.policy import TIERS

EXAMPLES = 3
INVOICES_EACH = 4


def tier_mix_table(scores: pd.DataFrame) -> Table:
    """Customers, share, mean credit risk and amount falling due per tier of the scored rows."""
    scored = scores.loc[scores["scored"]]
    table = Table(title=f"Risk tiers of {len(scored):,} scored customers (credit risk)")
    for column in ("tier", "customers", "share", "mean credit risk", "due next 30 days"):
        table.add_column(column, justify="left" if column == "tier" else "right")
    for tier in TIERS:
        rows = scored.loc[scored["risk_tier"] == tier]
        risk = rows["delinquency_probability"].mean() if len(rows) else float("nan")
        table.add_row(
            tier,
            f"{len(rows):,}",
            f"{len(rows) / max(len(scored), 1):.1%}",
            "-" if pd.isna(risk) else f"{risk:.1%}",
            f"{rows['amount_due_next_30d'].sum():,.0f}",
        )
    return table


def _riskiest(scores: pd.DataFrame) -> list[str]:
    """Scored customer ids, highest credit risk first."""
    scored = scores.loc[scores["scored"]]
    return scored.sort_values("delinquency_probability", ascending=False)["customer_id"].tolist()


def _reasons(value: object, top: int = 2) -> str:
    """The first `top` reason sentences of a JSON reasons cell."""
    reasons = json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    return "; ".join(str(r["text"]) for r in reasons[:top])


def examples_table(scores: pd.DataFrame, first_customer: str) -> Table:
    """The first customer and the riskiest ones: tier, both probabilities, the points scorecard
    beside them, terms, recommended credit limit, reasons."""
    scored = scores.loc[scores["scored"]].set_index("customer_id")
    ids = list(dict.fromkeys([first_customer, *_riskiest(scores)[:EXAMPLES]]))
    table = Table(title="A few customers, as the API answers about them")
    columns = ("customer", "tier", "credit risk", "late next 30d", "scorecard", "layer",
               "terms", "recommended limit", "why (credit)")  # fmt: skip
    for column in columns:
        table.add_column(column, overflow="fold")
    for customer in ids:
        if customer not in scored.index:
            continue
        row = scored.loc[customer]
        terms = f"{row['recommended_terms_days']:.0f} days"
        if row["recommended_prepayment_share"] > 0:
            terms += f", {row['recommended_prepayment_share']:.0%} prepaid"
        table.add_row(
            customer,
            str(row["risk_tier"]),
            f"{row['delinquency_probability']:.1%}",
            f"{row['overdue_probability']:.1%}",
            f"{row['scorecard_points']:.0f} ({row['scorecard_band']})",
            str(row["customer_layer"]),
            terms,
            f"{row['recommended_credit_limit']:,.0f}",
            _reasons(row["reasons_delinquency"]),
        )
    return table


def invoices_table(invoices: pd.DataFrame, customers: list[str]) -> Table:
    """The open invoices of `customers`: due date, amount, predicted payment, bucket odds."""
    table = Table(title="Their open invoices: when they will be paid (invoice model)")
    for column in ("customer", "invoice", "due", "open", "predicted payment", "on time",
                   "1-30 late", "over 30 late"):  # fmt: skip
        table.add_column(column, justify="right" if column in ("open",) else "left")
    rows = invoices.loc[invoices["customer_id"].isin(customers)]
    for row in rows.groupby("customer_id", sort=False).head(INVOICES_EACH).itertuples():
        over = row.p_late_31_60 + row.p_late_61_90 + row.p_late_over_90
        table.add_row(
            str(row.customer_id),
            str(row.invoice_id),
            f"{row.due_date:%Y-%m-%d}",
            f"{row.open_amount:,.0f}",
            f"{row.predicted_payment_date:%Y-%m-%d} "
            f"({row.predicted_days_late_p10:+.0f} to {row.predicted_days_late_p90:+.0f} d)",
            f"{row.p_paid_on_time:.0%}",
            f"{row.p_late_1_30:.0%}",
            f"{over:.0%}",
        )
    return table


def actions_table(actions: pd.DataFrame) -> Table:
    """Today's collections actions: how many per stage, and one example of each."""
    counts = actions["stage"].value_counts()
    table = Table(title=f"Today's collections actions ({len(actions):,} open)")
    for column in ("stage", "open", "owner", "example invoice", "days past due", "amount"):
        table.add_column(column, justify="right" if column in ("open", "amount") else "left")
    examples = actions.sort_values(["days_past_due", "action_id"]).groupby("stage", sort=False)
    for row in examples.head(1).itertuples():
        table.add_row(
            str(row.stage).replace("_", " "),
            f"{counts[row.stage]:,}",
            str(row.owner_role).replace("_", " "),
            f"{row.invoice_id} ({row.customer_id})",
            str(row.days_past_due),
            f"{row.open_amount:,.0f}",
        )
    return table


def actions_reasons(actions: pd.DataFrame) -> str:
    """Why, for the example of each stage: the reason the ladder gives."""
    examples = actions.sort_values(["days_past_due", "action_id"]).groupby("stage", sort=False)
    lines = [f"- {r.stage}, {r.invoice_id}: {r.reason}" for r in examples.head(1).itertuples()]
    return "Why (one action per stage):\n" + "\n".join(lines)


def cash_table(forecast: pd.DataFrame) -> Table:
    """The portfolio's 13-week cash-collection forecast: expected receipts and the p10-p90."""
    weeks = forecast.loc[forecast["industry"] == "all"]
    total = weeks["expected_receipts"].sum()
    table = Table(title=f"Cash expected in the next 13 weeks: {total:,.0f} (p10-p90 per week)")
    for column in ("week starting", "expected", "p10", "p90"):
        table.add_column(column, justify="left" if column == "week starting" else "right")
    for row in weeks.itertuples():
        table.add_row(
            pd.Timestamp(row.week_start).date().isoformat(),
            *(f"{v:,.0f}" for v in (row.expected_receipts, row.p10, row.p90)),
        )
    return table


def print_scoring_report(scores_path: Path, first_customer: str, console: Console) -> None:
    """The tier mix, the example customers, their open invoices, today's actions and the
    13-week cash forecast."""
    scores = pd.read_parquet(scores_path)
    console.print(tier_mix_table(scores))
    console.print(examples_table(scores, first_customer))
    invoices_path = scores_path.parent / "invoices.parquet"
    if invoices_path.is_file():
        shown = [first_customer, *_riskiest(scores)[:1]]
        console.print(invoices_table(pd.read_parquet(invoices_path), shown))
    actions_path = scores_path.parent / "actions.parquet"
    if actions_path.is_file():
        actions = pd.read_parquet(actions_path)
        console.print(actions_table(actions))
        console.print(actions_reasons(actions), soft_wrap=True, highlight=False, markup=False)
    cash_path = scores_path.parent / "cash_forecast.parquet"
    if cash_path.is_file():
        console.print(cash_table(pd.read_parquet(cash_path)))
