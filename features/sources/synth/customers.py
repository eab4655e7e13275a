"""Customers: who buys on credit, how big they are, on what terms and with what habits.

Every trait is drawn per customer from one random stream per block of customers. Traits that
the data shows (industry, segment, country, terms, credit limit, onboarding) become the
`customers` table; the others (habit, baseline health, order and amount multipliers) stay
latent and only shape the behaviour seen in invoices, payments and signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sources.synth.config import (
    COUNTRY_WEIGHTS,
    HABIT_WEIGHTS,
    INDUSTRY_TERMS_PROBS,
    INDUSTRY_WEIGHTS,
    NAME_FIRST,
    NAME_SECOND,
    SEGMENT_MEDIAN_AMOUNT,
    SEGMENT_ORDERS_PER_MONTH,
    SEGMENT_WEIGHTS,
    TERMS_DAYS,
    SynthConfig,
)

AMOUNT_LOG_SIGMA = 0.6
"""Spread of a customer's invoice amounts around its own median (log scale)."""
SHARE_ONBOARDED_DURING_HISTORY = 0.3


@dataclass(frozen=True)
class CustomerTraits:
    """Traits of the customers of one block, one array element per customer.

    Days are counted from the first day of history (negative = before it).
    """

    number: np.ndarray  # global customer number, ascending
    industry: np.ndarray
    segment: np.ndarray
    country: np.ndarray
    habit: np.ndarray
    terms_days: np.ndarray
    onboarding_day: np.ndarray
    baseline_health: np.ndarray
    orders_per_month: np.ndarray  # expected invoices per month at neutral health and season
    amount_log_median: np.ndarray
    delay_offset_days: np.ndarray  # the customer's own lateness, beyond industry and habit
    paperless_propensity: np.ndarray
    name_parts: np.ndarray  # (n, 2) indices into NAME_FIRST and NAME_SECOND

    @property
    def size(self) -> int:
        return int(self.number.size)

    @property
    def expected_monthly_purchases(self) -> np.ndarray:
        """Mean invoiced amount per month (lognormal mean times order rate)."""
        mean_amount = np.exp(self.amount_log_median + AMOUNT_LOG_SIGMA**2 / 2)
        return self.orders_per_month * mean_amount


def draw_customers(
    config: SynthConfig, numbers: np.ndarray, rng: np.random.Generator
) -> CustomerTraits:
    """Draw the traits of the customers with global `numbers`.

    Industry sets terms and seasonality, segment sets order rate and amounts; a third of the
    customers arrive during the history so that tenure varies.
    """
    n = numbers.size
    industry = rng.choice(INDUSTRY_WEIGHTS.size, size=n, p=INDUSTRY_WEIGHTS)
    segment = rng.choice(SEGMENT_WEIGHTS.size, size=n, p=SEGMENT_WEIGHTS)
    country = rng.choice(COUNTRY_WEIGHTS.size, size=n, p=COUNTRY_WEIGHTS)
    habit = rng.choice(HABIT_WEIGHTS.size, size=n, p=HABIT_WEIGHTS)
    cumulative = INDUSTRY_TERMS_PROBS[industry].cumsum(axis=1)
    terms_index = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    terms_days = TERMS_DAYS[np.minimum(terms_index, TERMS_DAYS.size - 1)]
    during = rng.random(n) < SHARE_ONBOARDED_DURING_HISTORY
    before_days = -rng.integers(30, 10 * 365, size=n)
    during_days = rng.integers(0, max(1, int(config.history_days * 0.85)), size=n)
    onboarding_day = np.where(during, during_days, before_days)
    return CustomerTraits(
        number=numbers,
        industry=industry,
        segment=segment,
        country=country,
        habit=habit,
        terms_days=terms_days,
        onboarding_day=onboarding_day,
        baseline_health=rng.normal(0.0, 0.6, size=n),
        orders_per_month=SEGMENT_ORDERS_PER_MONTH[segment] * rng.lognormal(0.0, 0.35, size=n),
        amount_log_median=np.log(SEGMENT_MEDIAN_AMOUNT[segment]) + rng.normal(0.0, 0.4, size=n),
        delay_offset_days=rng.normal(0.0, 3.0, size=n),
        paperless_propensity=rng.beta(2.0, 2.0, size=n),
        name_parts=np.column_stack(
            [rng.integers(0, len(NAME_FIRST), size=n), rng.integers(0, len(NAME_SECOND), size=n)]
        ),
    )


def credit_limits(traits: CustomerTraits, health_now: np.ndarray) -> np.ndarray:
    """Credit limit granted at onboarding: about terms-plus-a-month of purchases, scaled by health.

    Rounded to thousands; healthier customers get up to twice the base, weak ones a third.
    """
    months_covered = traits.terms_days / 30.0 + 1.0
    health_factor = np.clip(np.exp(0.5 * health_now), 0.35, 2.0)
    raw = traits.expected_monthly_purchases * months_covered * health_factor
    return np.maximum(np.round(raw / 1000.0) * 1000.0, 1000.0)
