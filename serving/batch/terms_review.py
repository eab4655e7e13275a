"""The terms review: customers whose terms should change, cuts and rewards alike.

Practice reviews terms periodically, and a review that only cuts tells good customers nothing
(DOMAIN: "+15 days for punctual customers with large monthly orders"). Per scored customer:

- **cut**: the tier caps the agreed terms (the recommended terms of the scores file are
  shorter than the customer's own);
- **reward**: a green customer for at least `reward_min_tenure_days` (a year of punctual
  payments, not two months of them), punctual over the last year (average days late at most
  `punctual_max_days_late`, late share at most `punctual_max_late_share`) with monthly orders
  of at least `large_monthly_sales`, is proposed `reward_days` more, never beyond
  `max_terms_days`;
- `high_value_stable`: a customer for `stable_tenure_days` or more, none of its invoices late
  in the last year and orders not shrinking (DOMAIN's "three years without a late payment and
  growing orders"; the features hold a year of payments, so "three years" is the tenure).

Customers with nothing to change are not listed. Rows are sorted cuts first, then by the size
of the change and customer id, so reruns are identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.derived import monthly_sales, number_column
from serving.policy import Policy

REVIEW_COLUMNS = (
    "customer_id",
    "customer_name",
    "risk_tier",
    "kind",
    "current_terms_days",
    "proposed_terms_days",
    "change_days",
    "monthly_sales",
    "high_value_stable",
    "reason",
)


def terms_review(rows: pd.DataFrame, features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """`REVIEW_COLUMNS` for every scored customer whose terms should change."""
    rules = policy.terms_review
    scored = rows.loc[rows["scored"]].set_index("customer_id")
    f = features.reindex(scored.index)
    current = number_column(f, policy.context.terms_days)
    recommended = pd.to_numeric(scored["recommended_terms_days"], errors="coerce").astype(float)
    late_days = number_column(f, "customer_days_late_mean_365d")
    late_share = number_column(f, "customer_late_share_count_365d")
    monthly = monthly_sales(f)
    punctual = (late_days <= rules.punctual_max_days_late) & (
        late_share <= rules.punctual_max_late_share
    )
    large = monthly >= rules.large_monthly_sales
    rewarded = np.minimum(current + rules.reward_days, rules.max_terms_days)
    proven = number_column(f, "customer_tenure_days") >= rules.reward_min_tenure_days
    reward = (scored["risk_tier"] == "green") & punctual & large & proven & (rewarded > current)
    cut = recommended < current
    proposed = np.where(cut, recommended, np.where(reward, rewarded, current))
    stable = (
        (number_column(f, "customer_tenure_days") >= rules.stable_tenure_days)
        & (late_share == 0)
        & (number_column(f, "customer_order_volume_change_90d") >= 0)
    )
    frame = pd.DataFrame(
        {
            "customer_id": scored.index.astype("str"),
            "customer_name": scored["customer_name"].astype("str"),
            "risk_tier": scored["risk_tier"].astype("str"),
            "kind": np.where(cut, "cut", np.where(reward, "reward", "")),
            "current_terms_days": current,
            "proposed_terms_days": proposed.astype("float64"),
            "change_days": (proposed - current).astype("float64"),
            "monthly_sales": monthly,
            "high_value_stable": stable.to_numpy(bool),
        },
        index=scored.index.rename(None),
    )
    frame["reason"] = (
        [_reason(row, rules.reward_days) for row in frame.to_dict("records")] if len(frame) else []
    )
    listed = frame[frame["kind"] != ""].assign(size=lambda x: -x["change_days"].abs())
    listed = listed.sort_values(["kind", "size", "customer_id"], ascending=[True, True, True])
    return listed[list(REVIEW_COLUMNS)].reset_index(drop=True)


def _reason(row: dict[str, object], reward_days: int) -> str:
    current, proposed = row["current_terms_days"], row["proposed_terms_days"]
    if row["kind"] == "cut":
        text = f"tier {row['risk_tier']} caps terms at {proposed:.0f} days (agreed {current:.0f})"
    elif row["kind"] == "reward":
        text = (
            f"punctual with monthly orders of {row['monthly_sales']:,.0f}: "
            f"+{proposed - current:.0f} days (policy: +{reward_days})"  # type: ignore[operator]
        )
    else:
        return ""
    return text + ("; high-value stable" if row["high_value_stable"] else "")
