"""Invoices: orders arrive as a Poisson stream, shaped by size, season, health and lifecycle.

Each customer-month gets a Poisson number of orders whose rate is the customer's own rate times
its industry's seasonality times a volume factor that falls with health (a struggling customer
buys less: the practitioners' "order volume down 30%"). Orders fall on uniform days of the
month and are kept only between onboarding and default. Amounts are lognormal around the
customer's median; disputes are likelier when health is low or the amount unusual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sources.synth.config import INDUSTRY_SEASON_AMPLITUDE, INDUSTRY_SEASON_PEAK_MONTH
from features.sources.synth.customers import AMOUNT_LOG_SIGMA, CustomerTraits
from features.sources.synth.health import HealthPaths


@dataclass(frozen=True)
class InvoiceDraws:
    """Invoices of one block, sorted by customer then issue day; days count from history start."""

    customer: np.ndarray  # row index into the block's traits
    issue_day: np.ndarray
    due_day: np.ndarray
    amount: np.ndarray
    amount_z: np.ndarray  # log-amount distance from the customer's median, in sd units
    disputed: np.ndarray
    paperless: np.ndarray


def month_bounds(start: np.datetime64, months: int) -> np.ndarray:
    """First day of each month of history and the first day after it, as days from `start`."""
    first = start.astype("datetime64[M]")
    offset = start - first.astype("datetime64[D]")
    bounds = (first + np.arange(months + 1)).astype("datetime64[D]") + offset
    return (bounds - start).astype(np.int64)


def calendar_months(start: np.datetime64, months: int) -> np.ndarray:
    """Calendar month (1-12) of each month of history."""
    first = start.astype("datetime64[M]")
    return ((first + np.arange(months)).astype(np.int64) % 12) + 1


def draw_invoices(
    traits: CustomerTraits,
    health: HealthPaths,
    start: np.datetime64,
    months: int,
    rng: np.random.Generator,
) -> InvoiceDraws:
    """Draw every invoice of a block's customers over the history."""
    bounds = month_bounds(start, months)
    month_start, month_len = bounds[:-1], np.diff(bounds)
    cal = calendar_months(start, months)
    industry = traits.industry[:, None]
    season = 1.0 + INDUSTRY_SEASON_AMPLITUDE[industry] * np.cos(
        2.0 * np.pi * (cal[None, :] - INDUSTRY_SEASON_PEAK_MONTH[industry]) / 12.0
    )
    n = traits.size
    rows = np.repeat(np.arange(n), months)
    mid_month = np.tile(month_start + month_len // 2, n)
    volume = np.exp(0.35 * np.clip(health.at(rows, mid_month), -3.0, 1.0)).reshape(n, months)
    rate = traits.orders_per_month[:, None] * season * volume
    counts = rng.poisson(rate).ravel()

    customer = np.repeat(rows, counts)
    month = np.repeat(np.tile(np.arange(months), n), counts)
    issue_day = month_start[month] + np.floor(rng.random(customer.size) * month_len[month])
    issue_day = issue_day.astype(np.int64)
    active = (issue_day >= traits.onboarding_day[customer]) & (
        issue_day < health.default_day[customer]
    )
    customer, issue_day = customer[active], issue_day[active]
    order = np.lexsort((issue_day, customer))
    customer, issue_day = customer[order], issue_day[order]
    return _describe_invoices(traits, health, customer, issue_day, rng)


def _describe_invoices(
    traits: CustomerTraits,
    health: HealthPaths,
    customer: np.ndarray,
    issue_day: np.ndarray,
    rng: np.random.Generator,
) -> InvoiceDraws:
    """Amounts, due dates, disputes and the paperless flag of already-placed invoices."""
    size = customer.size
    amount_z = rng.standard_normal(size)
    log_amount = traits.amount_log_median[customer] + AMOUNT_LOG_SIGMA * amount_z
    amount = np.maximum(np.round(np.exp(log_amount), 2), 1.0)
    health_at_issue = health.at(customer, issue_day)
    dispute_logit = -3.6 - 0.7 * health_at_issue + 0.9 * np.maximum(np.abs(amount_z) - 1.5, 0.0)
    disputed = rng.random(size) < 1.0 / (1.0 + np.exp(-dispute_logit))
    paperless = rng.random(size) < traits.paperless_propensity[customer]
    return InvoiceDraws(
        customer=customer,
        issue_day=issue_day,
        due_day=issue_day + traits.terms_days[customer],
        amount=amount,
        amount_z=amount_z,
        disputed=disputed,
        paperless=paperless,
    )
