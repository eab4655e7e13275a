"""CRM deals: opportunities a customer's account manager opens, with amount, terms and stage.

Larger customers open more deals; amounts are a few months of purchases; a third of the deals
ask for longer terms than the customer has (a weak customer asks more often). Stages are as of
the end of history: recent deals are mostly still open, older ones won or lost, healthy
customers winning more often. Defaulted customers open no deals after their default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sources.synth.config import TERMS_DAYS
from features.sources.synth.customers import CustomerTraits
from features.sources.synth.health import HealthPaths
from features.sources.synth.invoices import month_bounds

STAGES: tuple[str, ...] = ("open", "won", "lost")


@dataclass(frozen=True)
class DealDraws:
    """Deals of one block, sorted by customer then created day."""

    customer: np.ndarray
    created_day: np.ndarray
    amount: np.ndarray
    terms_days: np.ndarray
    stage: np.ndarray  # index into STAGES


def draw_deals(
    traits: CustomerTraits,
    health: HealthPaths,
    start: np.datetime64,
    months: int,
    rng: np.random.Generator,
) -> DealDraws:
    """Draw every CRM deal of a block's customers over the history."""
    bounds = month_bounds(start, months)
    history_days = int(bounds[-1])
    quarters = (months + 2) // 3
    counts = rng.poisson(np.repeat(0.3 + 0.3 * traits.segment, quarters))
    customer = np.repeat(np.repeat(np.arange(traits.size), quarters), counts)
    quarter = np.repeat(np.tile(np.arange(quarters), traits.size), counts)
    created = quarter * 91 + rng.integers(0, 91, size=customer.size)
    keep = (
        (created < history_days)
        & (created >= traits.onboarding_day[customer])
        & (created < health.default_day[customer])
    )
    customer, created = customer[keep], created[keep]
    order = np.lexsort((created, customer))
    customer, created = customer[order], created[order]

    h = health.at(customer, created)
    size = customer.size
    amount = traits.expected_monthly_purchases[customer] * rng.lognormal(np.log(3.0), 0.6, size)
    amount = np.maximum(np.round(amount, -2), 100.0)
    terms_index = np.searchsorted(TERMS_DAYS, traits.terms_days[customer])
    asks_longer = rng.random(size) < 0.25 + 0.15 * (h < -0.8)
    terms_index = np.minimum(terms_index + asks_longer, TERMS_DAYS.size - 1)
    age = history_days - created
    still_open = rng.random(size) < np.where(age <= 45, 0.8, 0.05)
    won = rng.random(size) < 1.0 / (1.0 + np.exp(-(0.4 + 0.6 * h - 0.5 * asks_longer)))
    stage = np.where(still_open, 0, np.where(won, 1, 2))
    return DealDraws(customer, created, amount, TERMS_DAYS[terms_index], stage)
