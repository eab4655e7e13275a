"""Policy what-if: replay a risk policy over past deals and say what it would have changed.

For every deal of the CRM's deals table created in the chosen months, the customer is scored
at the month end before the deal (point-in-time features, `features.build`) with one model,
the served champion, said plainly in the output (a model of each time would need a retrain per
month); each policy tiers the customer and decides the deal (`serving.deals.assess_deal`, the
function the API calls). What the decision would have changed is read from the ledger:

- sales affected: the amount of the deals a policy would have referred or declined, counting
  only deals that became sales: a deal the CRM marks `lost` was never sold, so refusing it
  gives nothing up (its decision is still counted, and `lost_deals` says how many there were);
- late amount avoided: the invoices of those customers issued in the 30 days after the deal
  that were paid more than 30 days late, or were still open more than 30 days after due at the
  data end; 90+ amount avoided, the same beyond 90 days. Invoices are not linked to deals in
  the contract, so "the invoices that followed the deal" is the reading, stated in the report:
  each invoice is given to the customer's latest deal before it (lost deals excepted), so a
  customer with two deals in a month has its invoices counted once, not once per deal.

Two policies side by side show the trade-off: sales given up against late money avoided.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import build_feature_frame
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from serving.deals import assess_deal
from serving.layers import customer_layers
from serving.policy import Policy, assign_tiers

FOLLOW_DAYS = 30
DECISIONS = ("approve", "approve_with_conditions", "refer", "decline")
SUMMARY_COLUMNS = (
    "policy",
    "deals",
    *DECISIONS,
    "lost_deals",
    "sales_referred_or_declined",
    "late_amount_avoided",
    "over_90_amount_avoided",
)


def deals_in(tables: Tables, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The deals created in (start, end], each with the month end it is scored at."""
    if tables.deals is None:
        return pd.DataFrame(columns=["deal_id", "customer_id", "created_date", "amount"])
    deals = tables.deals
    chosen = deals[(deals["created_date"] > start) & (deals["created_date"] <= end)].copy()
    chosen["scored_at"] = (chosen["created_date"] - pd.offsets.MonthEnd(1)).dt.normalize()
    return chosen.reset_index(drop=True)


def decide(
    policy: Policy, bundle: ModelBundle, deals: pd.DataFrame, features: pd.DataFrame
) -> pd.Series:
    """Each deal's decision under `policy`, from the customer's features at `scored_at`."""
    features = features.assign(customer_layer=customer_layers(policy, features)["customer_layer"])
    keyed = features.set_index(["customer_id", "as_of"])
    rows = keyed.reindex(pd.MultiIndex.from_frame(deals[["customer_id", "scored_at"]]))
    known = rows.notna().any(axis=1).to_numpy()
    decisions = pd.Series("unscored", index=deals.index, dtype="str")
    if not known.any():
        return decisions
    frame = rows[known].reset_index(drop=True)
    probability = bundle.predict(frame[bundle.feature_names])["delinquency_probability"]
    tiers, _ = assign_tiers(policy, probability, frame)
    names = policy.context
    pairs = zip(deals.index[known], frame.to_dict("records"), strict=True)
    for i, (deal_index, row) in enumerate(pairs):
        deal = deals.loc[deal_index]
        terms = deal.get("payment_terms_days")
        decisions[deal_index] = assess_deal(
            policy,
            tier=str(tiers.iloc[i]),
            delinquency_probability=float(probability.iloc[i]),
            segment=row.get(names.segment) if isinstance(row.get(names.segment), str) else None,
            agreed_terms_days=_float(row.get(names.terms_days)),
            open_amount=_float(row.get(names.open_amount)) or 0.0,
            credit_limit=_float(row.get(names.credit_limit)),
            amount=float(deal["amount"]),
            requested_terms_days=int(terms) if pd.notna(terms) else 30,
            layer=str(row["customer_layer"]),
        ).decision
    return decisions


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def became_sales(deals: pd.DataFrame) -> pd.Series:
    """Deals that were not lost (won, open, or without a stage in the CRM's table)."""
    if "stage" not in deals:
        return pd.Series(True, index=deals.index)
    return deals["stage"].astype("str").str.lower().ne("lost")


def followed_by(tables: Tables, deals: pd.DataFrame, beyond_days: int) -> pd.Series:
    """Per deal, the amount of its customer's invoices issued in the 30 days after it that
    were paid more than `beyond_days` late (or still open that late at the data end), each
    invoice given to the latest deal before it that was not lost (module docstring)."""
    end = data_end_of(tables)
    invoices = tables.invoices
    paid = invoices["cleared_date"].where(invoices["cleared_date"] <= end)
    late = (paid.fillna(end) - invoices["due_date"]).dt.days > beyond_days
    bad = invoices.loc[late, ["customer_id", "issue_date", "amount"]].sort_values("issue_date")
    sold = deals.loc[became_sales(deals), ["customer_id", "created_date"]]
    starts = sold.rename_axis("deal_row").reset_index().sort_values("created_date")
    starts["customer_id"] = starts["customer_id"].astype("str")
    bad = bad.assign(customer_id=bad["customer_id"].astype("str"))
    matched = pd.merge_asof(
        bad.assign(issue_date=bad["issue_date"].astype("datetime64[ns]")),
        starts.assign(created_date=starts["created_date"].astype("datetime64[ns]")),
        left_on="issue_date",
        right_on="created_date",
        by="customer_id",
        direction="backward",
        tolerance=pd.Timedelta(days=FOLLOW_DAYS),
        allow_exact_matches=False,
    )
    sums = matched.dropna(subset=["deal_row"]).groupby("deal_row")["amount"].sum()
    return sums.reindex(deals.index, fill_value=0.0).astype("float64")


def summary(name: str, deals: pd.DataFrame, decisions: pd.Series) -> dict[str, object]:
    """One policy's row of the comparison."""
    refused = decisions.isin(["refer", "decline"]).to_numpy()
    sold = became_sales(deals).to_numpy()
    counts = decisions.value_counts()
    return {
        "policy": name,
        "deals": int((decisions != "unscored").sum()),
        **{d: int(counts.get(d, 0)) for d in DECISIONS},
        "lost_deals": int((~sold & (decisions != "unscored").to_numpy()).sum()),
        "sales_referred_or_declined": float(deals.loc[refused & sold, "amount"].sum()),
        "late_amount_avoided": float(deals.loc[refused, "late_30"].sum()),
        "over_90_amount_avoided": float(deals.loc[refused, "late_90"].sum()),
    }


def policy_backtest(
    tables: Tables,
    bundle: ModelBundle,
    policies: dict[str, Policy],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison (`SUMMARY_COLUMNS`, one row per policy) and every deal's decisions."""
    deals = deals_in(tables, start, end)
    months = sorted(deals["scored_at"].unique()) if len(deals) else []
    features = build_feature_frame(tables, [pd.Timestamp(m) for m in months]) if months else None
    deals = deals.assign(
        late_30=followed_by(tables, deals, 30) if len(deals) else np.nan,
        late_90=followed_by(tables, deals, 90) if len(deals) else np.nan,
    )
    rows = []
    for name, policy in policies.items():
        if features is None:
            decisions = pd.Series(dtype="str")
        else:
            decisions = decide(policy, bundle, deals, features)
        deals[f"decision_{name}"] = decisions
        rows.append(summary(name, deals, decisions))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)), deals
