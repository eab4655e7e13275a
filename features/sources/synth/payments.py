"""Payments: when each invoice is paid, in how many instalments, and whether it clears at all.

Days late (payment day minus due day) add up what collectors see in practice: the industry's
norm, the customer's own habit and lateness, its health at the due date (the strongest and most
non-linear driver), larger-than-usual invoices (more approvals), disputes (weeks of delay),
quarter ends (cash held for the balance sheet), paper invoices (post) and plenty of noise.
Some invoices are paid in 2-3 instalments: the earlier ones in whole currency units, the last
one completing the amount, so that the instalments of an invoice sum to its amount exactly in
floating point. Nothing dated on or after the end of history is emitted, and a defaulted
customer pays nothing after its default day: those invoices stay open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sources.synth.config import (
    HABIT_EARLY,
    HABIT_LATE_10,
    HABIT_MONTH_END,
    INDUSTRY_NORM_DAYS_LATE,
)
from features.sources.synth.customers import CustomerTraits
from features.sources.synth.health import HealthPaths
from features.sources.synth.invoices import InvoiceDraws

BASE_DELAY_DAYS = -9.0
"""Most invoices of a healthy, average customer are paid a few days before the due date."""


@dataclass(frozen=True)
class PaymentDraws:
    """Payments of one block, sorted by invoice then day, and each invoice's clearing day."""

    invoice: np.ndarray  # row index into the block's invoices
    day: np.ndarray
    amount: np.ndarray
    cleared_day: np.ndarray  # per invoice; -1 while open at the end of history


def days_late(
    traits: CustomerTraits,
    health: HealthPaths,
    invoices: InvoiceDraws,
    start: np.datetime64,
    rng: np.random.Generator,
) -> np.ndarray:
    """Days from due day to the final payment of each invoice (negative = early), habits applied."""
    c = invoices.customer
    h = health.at(c, invoices.due_day)
    health_effect = 5.0 * -h + 10.0 * np.maximum(-h - 0.8, 0.0) ** 2
    due = start + invoices.due_day.astype("timedelta64[D]")
    month = due.astype("datetime64[M]")
    next_month = (month + 1).astype("datetime64[D]")
    quarter_end = ((month.astype(np.int64) % 3) == 2) & ((next_month - due).astype(int) <= 7)
    delay = (
        BASE_DELAY_DAYS
        + INDUSTRY_NORM_DAYS_LATE[traits.industry[c]]
        + traits.delay_offset_days[c]
        + health_effect
        + 2.5 * np.maximum(invoices.amount_z, 0.0)
        + 0.04 * (traits.terms_days[c] - 45)
        + np.where(invoices.disputed, rng.gamma(2.0, 12.0, size=c.size), 0.0)
        + np.where(quarter_end, 5.0, 0.0)
        + np.where(invoices.paperless, -1.5, 0.0)
        + rng.laplace(0.0, 4.0, size=c.size)
    )
    habit = traits.habit[c]
    delay = np.where(habit == HABIT_EARLY, delay - 8.0, delay)
    delay = np.where(
        habit == HABIT_LATE_10, 10.0 + rng.normal(0.0, 2.0, c.size) + health_effect, delay
    )
    # Month-end payers aim well before the due date, then pay in the month-end batch run.
    delay = np.where(habit == HABIT_MONTH_END, delay - 12.0, delay)
    late = np.round(delay).astype(np.int64)
    paid = due + late.astype("timedelta64[D]")
    month_end = (paid.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    late = np.where(habit == HABIT_MONTH_END, (month_end - due).astype(np.int64), late)
    earliest = invoices.issue_day - invoices.due_day
    return np.maximum(late, earliest)


def draw_payments(
    traits: CustomerTraits,
    health: HealthPaths,
    invoices: InvoiceDraws,
    start: np.datetime64,
    history_days: int,
    rng: np.random.Generator,
) -> PaymentDraws:
    """Payments of every invoice of a block, cut at the end of history and at default."""
    final_day = invoices.due_day + days_late(traits, health, invoices, start, rng)
    size = final_day.size
    h = health.at(invoices.customer, invoices.due_day)
    partial_p = (
        0.05 + 0.10 * (h < -1.0) + 0.05 * (invoices.amount_z > 1.0) + 0.45 * invoices.disputed
    )
    instalments = np.where(
        (rng.random(size) < partial_p) & (invoices.amount >= 100.0),
        np.where(rng.random(size) < 0.7, 2, 3),
        1,
    )
    invoice = np.repeat(np.arange(size), instalments)
    first_row = np.cumsum(instalments) - instalments
    rank_from_last = instalments[invoice] - 1 - (np.arange(invoice.size) - first_row[invoice])
    gap = rng.integers(10, 36, size=size)[invoice]  # one rhythm per invoice: dates stay ordered
    day = np.maximum(final_day[invoice] - rank_from_last * gap, invoices.issue_day[invoice])
    share = rng.uniform(0.2, 0.4, size=invoice.size)
    amount = np.floor(invoices.amount[invoice] * share)
    earlier_sum = np.bincount(invoice, weights=np.where(rank_from_last > 0, amount, 0.0))
    amount = np.where(rank_from_last > 0, amount, invoices.amount[invoice] - earlier_sum[invoice])

    cutoff = np.minimum(history_days - 1, health.default_day[invoices.customer])
    known = day <= cutoff[invoice]
    cleared = final_day <= cutoff
    return PaymentDraws(
        invoice=invoice[known],
        day=day[known],
        amount=amount[known],
        cleared_day=np.where(cleared, final_day, -1),
    )
