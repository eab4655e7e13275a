"""Health signals: what the outside world shows of a customer's health, late and noisily.

- credit_rating (monthly, 1 worst to 10 best): the agency's view of health four weeks ago;
- lawsuits_open (monthly count): suppliers sue more as health has been falling for a quarter;
- bank_credit_line (quarterly amount): the bank sees trouble first; it cuts the line by ~30%
  from about three months before a crisis starts, and cancels it at default;
- tax_grade (annual, A-D stored as 1-4): last year's average health, coarsely graded.

Signals are emitted from onboarding on, only for days inside the history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.sources.synth.config import SEGMENT_BANK_LINE_MONTHS
from features.sources.synth.customers import CustomerTraits
from features.sources.synth.health import NO_DAY, HealthPaths
from features.sources.synth.invoices import month_bounds

SIGNAL_CODES: tuple[str, ...] = ("credit_rating", "bank_credit_line", "lawsuits_open", "tax_grade")


@dataclass(frozen=True)
class SignalDraws:
    """Signals of one block in long form, sorted by customer, day and signal code."""

    customer: np.ndarray
    day: np.ndarray
    code: np.ndarray  # index into SIGNAL_CODES
    value: np.ndarray


def _grid(traits: CustomerTraits, days: np.ndarray, history_days: int) -> tuple[np.ndarray, ...]:
    """Every (customer, observation day) pair inside history and after onboarding."""
    days = days[(days >= 0) & (days < history_days)]
    customer = np.repeat(np.arange(traits.size), days.size)
    day = np.tile(days, traits.size)
    keep = day >= traits.onboarding_day[customer]
    return customer[keep], day[keep]


def draw_signals(
    traits: CustomerTraits,
    health: HealthPaths,
    start: np.datetime64,
    months: int,
    rng: np.random.Generator,
) -> SignalDraws:
    """Draw the four signals of every customer of a block over the history."""
    bounds = month_bounds(start, months)
    history_days = int(bounds[-1])
    parts = [
        _monthly(traits, health, bounds[:-1] + 4, history_days, rng),
        _bank_lines(traits, health, bounds[:-1:3] + 9, history_days, rng),
        _tax_grades(traits, health, bounds[:-1:12] + 89, history_days, rng),
    ]
    customer = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    code = np.concatenate([p[2] for p in parts])
    value = np.concatenate([p[3] for p in parts])
    order = np.lexsort((code, day, customer))
    return SignalDraws(customer[order], day[order], code[order], value[order])


def _monthly(
    traits: CustomerTraits,
    health: HealthPaths,
    days: np.ndarray,
    history_days: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Credit rating (health four weeks back) and open lawsuits (health over the last quarter)."""
    customer, day = _grid(traits, days, history_days)
    defaulted = day >= health.default_day[customer]
    lagged = health.at(customer, day - 28)
    rating = np.clip(np.round(5.5 + 1.8 * lagged + rng.normal(0.0, 0.8, day.size)), 1, 10)
    rating = np.where(defaulted, 1.0, rating)
    quarter_mean = health.mean_before(customer, day, 13)
    lawsuits = rng.poisson(np.exp(-2.3 - 1.1 * np.clip(quarter_mean, -4.0, 2.0)) + 2.0 * defaulted)
    return (
        np.concatenate([customer, customer]),
        np.concatenate([day, day]),
        np.repeat(np.array([0, 2]), day.size),
        np.concatenate([rating, lawsuits.astype(np.float64)]),
    )


def _bank_lines(
    traits: CustomerTraits,
    health: HealthPaths,
    days: np.ndarray,
    history_days: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Quarterly bank credit line: size-driven, led by health, cut ahead of a crisis."""
    customer, day = _grid(traits, days, history_days)
    base = traits.expected_monthly_purchases * SEGMENT_BANK_LINE_MONTHS[traits.segment] * 4.0
    ahead = health.at(customer, day + 56)
    crisis_start = health.crisis_start_day[customer]
    in_crisis = (
        (crisis_start != NO_DAY)
        & (day >= crisis_start - 91)
        & (day < health.crisis_bottom_day[customer] + 91)
    )
    cut = np.where(in_crisis, rng.uniform(0.55, 0.72, day.size), 1.0)
    noise = rng.lognormal(0.0, 0.05, day.size)
    line = np.round(base[customer] * np.exp(0.15 * np.clip(ahead, -3, 2)) * cut * noise, -3)
    line = np.where(day >= health.default_day[customer], 0.0, line)
    return customer, day, np.full(day.size, 1), line


def _tax_grades(
    traits: CustomerTraits,
    health: HealthPaths,
    days: np.ndarray,
    history_days: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Annual tax-credit grade A-D (1-4) from the past year's average health."""
    customer, day = _grid(traits, days, history_days)
    score = health.mean_before(customer, day, 52) + rng.normal(0.0, 0.3, day.size)
    grade = 1.0 + (score <= 0.4) + (score <= -0.3) + (score <= -1.0)
    return customer, day, np.full(day.size, 3), grade.astype(np.float64)
