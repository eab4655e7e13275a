"""Latent financial health: a mean-reverting weekly path per customer with crises and defaults.

Health is in standard units (0 = an average customer, -2 = deep trouble). Each week it moves
towards the customer's target level (an Ornstein-Uhlenbeck process on a weekly grid). A crisis
lowers the target linearly over 3-6 months; the customer then either recovers (the target
climbs back over 3-9 months) or, rarely, defaults: it stops ordering and paying, and its open
invoices stay open for good. The path starts a year before history so that lagged signals and
yearly averages exist from the first day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from features.sources.synth.customers import CustomerTraits

PRE_WEEKS = 52
REVERSION_PER_WEEK = 0.08
SHOCK_SD_PER_WEEK = 0.18
CRISES_PER_CUSTOMER_YEAR = 0.06
NO_DAY = np.iinfo(np.int64).max // 2
"""Stands for 'never' in day arrays (no crisis, no default)."""


@dataclass(frozen=True)
class HealthPaths:
    """Weekly health of one block of customers and the crisis calendar behind it.

    `path[i, w]` is customer i's health in week `w - PRE_WEEKS` of history (week 0 starts on
    the first day). Days are counted from the first day of history; NO_DAY means never.
    """

    path: np.ndarray
    crisis_start_day: np.ndarray
    crisis_bottom_day: np.ndarray
    default_day: np.ndarray

    def at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Health of `customer` (row index) in the week containing `day` (clipped to the grid)."""
        week = np.clip(np.floor_divide(day, 7) + PRE_WEEKS, 0, self.path.shape[1] - 1)
        return self.path[customer, week]

    def mean_before(self, customer: np.ndarray, day: np.ndarray, weeks: int) -> np.ndarray:
        """Average health of `customer` over the `weeks` weeks before the week of `day`."""
        cumulative = np.concatenate(
            [np.zeros((self.path.shape[0], 1)), self.path.cumsum(axis=1)], axis=1
        )
        end = np.clip(np.floor_divide(day, 7) + PRE_WEEKS, 1, self.path.shape[1])
        begin = np.maximum(end - weeks, 0)
        return (cumulative[customer, end] - cumulative[customer, begin]) / (end - begin)


def simulate_health(
    traits: CustomerTraits, history_days: int, rng: np.random.Generator
) -> HealthPaths:
    """Simulate the weekly health path of every customer of a block, crises included."""
    n = traits.size
    weeks = PRE_WEEKS + history_days // 7 + 2
    first_week = np.maximum(traits.onboarding_day // 7 + 4, -13) + PRE_WEEKS
    crisis = _draw_crises(first_week, weeks, history_days, traits.baseline_health, rng)
    target = traits.baseline_health[:, None] - crisis["profile"]
    shocks = rng.normal(0.0, SHOCK_SD_PER_WEEK, size=(n, weeks))
    stationary_sd = SHOCK_SD_PER_WEEK / np.sqrt(1.0 - (1.0 - REVERSION_PER_WEEK) ** 2)
    start = traits.baseline_health + rng.normal(0.0, stationary_sd, size=n)
    keep = 1.0 - REVERSION_PER_WEEK
    # h[t] = keep * h[t-1] + (1 - keep) * target[t] + shock[t], as one linear filter per row.
    path, _ = lfilter(
        [1.0],
        [1.0, -keep],
        REVERSION_PER_WEEK * target + shocks,
        axis=1,
        zi=(keep * start)[:, None],
    )
    return HealthPaths(
        path=path,
        crisis_start_day=crisis["start_day"],
        crisis_bottom_day=crisis["bottom_day"],
        default_day=crisis["default_day"],
    )


def _draw_crises(
    first_week: np.ndarray,
    weeks: int,
    history_days: int,
    baseline: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """At most one crisis per customer: start, decline, plateau, then recovery or default.

    A crisis starts at the earliest a quarter before history and a month after onboarding
    (`first_week`, on the path's grid). Weak customers (low baseline) are twice as likely to
    fall into one, and deep crises are more likely to end in default.
    """
    n = first_week.size
    years = history_days / 365.25
    rate = CRISES_PER_CUSTOMER_YEAR * np.where(baseline < -0.4, 2.0, 1.0)
    room = weeks - 4 - first_week
    has_crisis = (rng.random(n) < 1.0 - np.exp(-rate * (years + 0.25))) & (room > 0)
    start_week = first_week + np.floor(rng.random(n) * np.maximum(room, 1)).astype(np.int64)
    decline_weeks = rng.integers(13, 27, size=n)
    plateau_weeks = rng.integers(0, 9, size=n)
    recovery_weeks = rng.integers(13, 40, size=n)
    depth = rng.uniform(1.5, 3.0, size=n)
    defaults = has_crisis & (rng.random(n) < 0.08 + 0.25 * (depth - 1.5) / 1.5)
    default_offset_days = rng.integers(0, 7, size=n)

    t = np.arange(weeks)[None, :] - start_week[:, None]
    falling = np.clip(t / decline_weeks[:, None], 0.0, 1.0)
    after_plateau = t - (decline_weeks + plateau_weeks)[:, None]
    rising = np.clip(after_plateau / recovery_weeks[:, None], 0.0, 1.0)
    rising = np.where(defaults[:, None], 0.0, rising)
    profile = np.where(has_crisis[:, None], depth[:, None] * (falling - rising), 0.0)

    start_day = (start_week - PRE_WEEKS) * 7
    bottom_day = start_day + decline_weeks * 7
    default_day = bottom_day + plateau_weeks * 7 + default_offset_days
    return {
        "profile": profile,
        "start_day": np.where(has_crisis, start_day, NO_DAY),
        "bottom_day": np.where(has_crisis, bottom_day, NO_DAY),
        "default_day": np.where(defaults, default_day, NO_DAY),
    }
