"""New customers: the step an order is at, and the tier of a customer arsight has no data on.

A first order is the riskiest and most frequent credit decision, and practice steps new
customers up (DOMAIN "Customer layers and terms"; `new_customers:` in the policy): the n-th
order is capped by the n-th step, established customers by their tier alone.

- `orders_so_far`: 0 for a customer with no data; for one in the online store, its invoices
  of the last `counted_within_days` when its tenure is within that window (then they are all
  of its invoices), else None (established);
- `prospect_tier`: a customer with no data has no model score, so its tier is green lifted by
  the policy's overlays over what the CRM sent (for example two open lawsuits: orange); an
  overlay on data it did not send never fires (a null never satisfies a condition).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from serving.policy import NewCustomerStep, Policy, assign_tiers


def orders_so_far(
    policy: Policy, tenure_days: float | None, invoices_in_window: float | None
) -> int | None:
    """Orders before this one, or None for an established customer (module docstring)."""
    window = policy.new_customers.counted_within_days
    if tenure_days is None or invoices_in_window is None or np.isnan(tenure_days):
        return None
    if tenure_days > window or np.isnan(invoices_in_window):
        return None
    return int(invoices_in_window)


def step_of(policy: Policy, orders: int | None) -> NewCustomerStep | None:
    """The step of the next order after `orders` orders; None once past the steps."""
    steps = policy.new_customers.steps
    return None if orders is None or orders >= len(steps) else steps[orders]


def signal_features(signals: Mapping[str, float | None]) -> dict[str, float]:
    """The CRM's signals as the features overlays read (`signal_<name>_latest`)."""
    return {f"signal_{name}_latest": v for name, v in signals.items() if v is not None}


def prospect_tier(policy: Policy, signals: Mapping[str, float | None]) -> tuple[str, list[str]]:
    """The tier and fired overlays of a customer with no data, from the signals sent."""
    names = {c.feature for o in policy.overlays for c in o.all}
    known = signal_features(signals)
    row = pd.DataFrame([{name: known.get(name, np.nan) for name in sorted(names)}], dtype=float)
    tiers, fired = assign_tiers(policy, pd.Series([0.0]), row)
    return str(tiers.iloc[0]), list(fired.iloc[0])
