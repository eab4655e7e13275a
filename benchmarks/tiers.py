"""Benchmark helpers: are the default policy's tiers actionable? (issue 14 targets).

On the delinquency model's last out-of-time fold, each customer-snapshot gets the tier the
default policy gives its calibrated delinquency_probability (with the rule overlays on its
features), and the tiers are judged against what happened and against the world's hidden
truth (only benchmarks read it; the packages never do):

- red <= 10% and green >= 40% of the scored customer-snapshots;
- of those that reach 60+ days past due (or default) within 90 days after t, >= 70% were
  orange or red at t;
- the delinquent_90d rate among red >= 5x the portfolio's;
- customers with the "always about ten days late" habit whose hidden health at t is normal
  (>= -1, in standard units): <= 2% red and <= 10% orange.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.tables import Tables
from serving.policy import assign_tiers, load_policy
from training.backtest import MODEL
from training.dataset import DELINQUENT, labelled
from training.workflow import Development

SEVERE_DAYS = 60
HORIZON_DAYS = 90
NORMAL_HEALTH = -1.0


def severe_outcome(
    tables: Tables, default_dates: pd.Series, snapshots: list[pd.Timestamp]
) -> pd.DataFrame:
    """1.0 where the customer reaches 60+ days past due or defaults within 90 days after t.

    An invoice is more than 60 days past due on some day d in (t, t+90d] when it is issued by
    d and not cleared by d, for d = max(t+1, due+61, issue): the first day it could be.
    """
    invoices = tables.invoices
    issue = invoices["issue_date"].to_numpy("datetime64[D]")
    due = invoices["due_date"].to_numpy("datetime64[D]")
    cleared = invoices["cleared_date"].fillna(pd.Timestamp.max.normalize())
    cleared = cleared.to_numpy("datetime64[D]")
    customers = invoices["customer_id"].to_numpy(dtype=object)
    parts = []
    for t in snapshots:
        day = np.datetime64(t.date(), "D")
        first = np.maximum(np.maximum(day + 1, due + SEVERE_DAYS + 1), issue)
        severe = (first <= day + HORIZON_DAYS) & (cleared > first)
        hit = set(customers[severe])
        defaults = default_dates.loc[
            (default_dates > t) & (default_dates <= t + pd.Timedelta(days=HORIZON_DAYS))
        ]
        hit |= set(defaults.index)
        parts.append(pd.DataFrame({"customer_id": sorted(hit), "as_of": t, "severe": 1.0}))
    return pd.concat(parts, ignore_index=True)


def tier_gates(
    scored: pd.DataFrame, frame: pd.DataFrame, severe: pd.DataFrame, latent: pd.DataFrame | None
) -> list[tuple[str, float, bool]]:
    """The targets above as (name, value, passed).

    Args:
        scored: the last fold's rows of the delinquency backtest (index into `frame`) with
            delinquency_probability and delinquent_90d.
        frame: the training frame (features for the overlays, customer_id and as_of).
        severe: `severe_outcome` rows.
        latent: the hidden truth per frame row (latent_health_at_t, latent_habit), or None.
    """
    rows = frame.loc[scored.index]
    tiers, _ = assign_tiers(load_policy(), scored["delinquency_probability"], rows)
    keys = pd.MultiIndex.from_frame(rows[["customer_id", "as_of"]])
    hit = severe.set_index(["customer_id", "as_of"])["severe"].reindex(keys).fillna(0.0)
    hit = pd.Series(hit.to_numpy(), index=rows.index)
    share = tiers.value_counts(normalize=True).reindex(["green", "yellow", "orange", "red"])
    share = share.fillna(0.0)
    alarmed = tiers.isin(["orange", "red"])
    label = scored["delinquent_90d"]
    red_rate = label[tiers == "red"].mean() / label.mean()
    gates = [
        ("red share <= 10%", share["red"], share["red"] <= 0.10),
        ("green share >= 40%", share["green"], share["green"] >= 0.40),
        ("60+ dpd or default: orange/red at t >= 70%", alarmed[hit == 1].mean(),
         alarmed[hit == 1].mean() >= 0.70),
        ("delinquency rate red / portfolio >= 5", red_rate, red_rate >= 5.0),
    ]  # fmt: skip
    if latent is not None:
        truth = latent.loc[scored.index]
        habitual = (truth["latent_habit"] == "late_10") & (
            truth["latent_health_at_t"] >= NORMAL_HEALTH
        )
        red = (tiers[habitual] == "red").mean()
        orange = (tiers[habitual] == "orange").mean()
        gates += [
            ("late_10 habit, normal health: red <= 2%", red, red <= 0.02),
            ("late_10 habit, normal health: orange <= 10%", orange, orange <= 0.10),
        ]
    print(
        "  tier mix: "
        + ", ".join(f"{t} {s:.1%}" for t, s in share.items())
        + f" of {len(tiers):,} customer-snapshots"
    )
    return gates


def print_tier_gates(
    development: Development,
    frame: pd.DataFrame,
    severe: pd.DataFrame,
    latent: pd.DataFrame | None,
) -> bool:
    """PASS/FAIL of the tier targets on the delinquency model's last fold; True when all pass."""
    credit = development.delinquency
    if credit is None or credit.backtest is None:
        print("  tiers: no delinquency model, no tiers")
        return False
    result = credit.backtest
    scored = result.scored[MODEL]
    scored = labelled(scored.loc[scored["fold"] == result.last_fold.number], DELINQUENT)
    print("\nTiers of the default policy on the delinquency model's last fold")
    gates = tier_gates(scored, frame, severe, latent)
    for name, value, ok in gates:
        print(f"  {name:<46}{value:>10.4f}  {'PASS' if ok else 'FAIL'}")
    return all(ok for _, _, ok in gates)
