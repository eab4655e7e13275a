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


def _reasons(value: object, top: int = 2) -> str:
    """The first `top` reason sentences of a JSON reasons cell."""
    reasons = json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    return "; ".join(str(r["text"]) for r in reasons[:top])


def examples_table(scores: pd.DataFrame, first_customer: str) -> Table:
    """The first customer and the riskiest ones: tier, both probabilities, terms, reasons."""
    scored = scores.loc[scores["scored"]].set_index("customer_id")
    riskiest = scored.sort_values("delinquency_probability", ascending=False).index[:EXAMPLES]
    ids = list(dict.fromkeys([first_customer, *riskiest]))
    table = Table(title="A few customers, as the API answers about them")
    for column in ("customer", "tier", "credit risk", "late next 30d", "terms", "why (credit)"):
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
            terms,
            _reasons(row["reasons_delinquency"]),
        )
    return table


def print_scoring_report(scores_path: Path, first_customer: str, console: Console) -> None:
    """The tier mix and the example customers of one run's scores file."""
    scores = pd.read_parquet(scores_path)
    console.print(tier_mix_table(scores))
    console.print(examples_table(scores, first_customer))
