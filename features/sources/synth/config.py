"""Parameters of the synthetic world: the size knobs a user sets and the story's fixed constants.

`SynthConfig` is what the CLI and tests pass around. The module-level constants are the
generative story's numbers (industries, segments, habits, countries); they are documented in
docs/synthetic-world.md and chosen so that the portfolio looks like a mid-sized B2B seller:
a late share around a third of invoices and a portfolio DSO of roughly 40-70 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

RNG_BLOCK_CUSTOMERS = 1000
"""Customers per random stream. Streams are keyed by block, never by chunk, so the chunk size
(a memory knob) cannot change the world: block b always draws from child b of the seed."""


@dataclass(frozen=True)
class SynthConfig:
    """What world to synthesise.

    Attributes:
        customers: number of customers.
        months: months of history; the world is known on [start, start + months).
        seed: root seed; the same seed gives the same tables byte for byte.
        start: first day of history.
        chunk_customers: customers generated and written together (bounds memory; never
            changes the result).
    """

    customers: int = 1000
    months: int = 24
    seed: int = 0
    start: date = date(2023, 1, 1)
    chunk_customers: int = 20_000

    def __post_init__(self) -> None:
        for name in ("customers", "months", "chunk_customers"):
            if getattr(self, name) < 1:
                raise ValueError(f"SynthConfig.{name} must be >= 1; got {getattr(self, name)}")
        if self.seed < 0:
            raise ValueError(f"SynthConfig.seed must be >= 0; got {self.seed}")

    @property
    def start_day(self) -> np.datetime64:
        """First day of history as a numpy day."""
        return np.datetime64(self.start, "D")

    @property
    def end_day(self) -> np.datetime64:
        """First day after history: facts dated on or after it are unknown."""
        first_month = np.datetime64(self.start, "M")
        offset = self.start_day - first_month.astype("datetime64[D]")
        return (first_month + self.months).astype("datetime64[D]") + offset

    @property
    def history_days(self) -> int:
        """Days of history, end excluded."""
        return int((self.end_day - self.start_day).astype(int))


# --- industries: payment norms (typical days late), seasonality of orders, terms offered ---
INDUSTRIES: tuple[str, ...] = (
    "manufacturing",
    "wholesale",
    "retail",
    "construction",
    "healthcare",
    "technology",
    "logistics",
    "food_and_beverage",
)
INDUSTRY_WEIGHTS = np.array([0.20, 0.16, 0.12, 0.12, 0.10, 0.12, 0.10, 0.08])
INDUSTRY_NORM_DAYS_LATE = np.array([4.0, 3.0, 1.0, 11.0, 8.0, 0.0, 5.0, 2.0])
"""Typical days late by industry (construction and public-payer healthcare pay slowest)."""
INDUSTRY_SEASON_PEAK_MONTH = np.array([10, 11, 11, 6, 1, 12, 11, 12])
INDUSTRY_SEASON_AMPLITUDE = np.array([0.15, 0.25, 0.40, 0.35, 0.05, 0.20, 0.25, 0.30])
TERMS_DAYS = np.array([30, 45, 60, 90])
INDUSTRY_TERMS_PROBS = np.array(
    [
        [0.25, 0.30, 0.30, 0.15],  # manufacturing
        [0.40, 0.35, 0.20, 0.05],  # wholesale
        [0.60, 0.25, 0.15, 0.00],  # retail
        [0.20, 0.30, 0.30, 0.20],  # construction
        [0.20, 0.20, 0.30, 0.30],  # healthcare
        [0.45, 0.35, 0.20, 0.00],  # technology
        [0.40, 0.40, 0.20, 0.00],  # logistics
        [0.60, 0.30, 0.10, 0.00],  # food and beverage
    ]
)

# --- size tiers: order rate (invoices per month) and typical invoice amount ---
SEGMENTS: tuple[str, ...] = ("small", "mid", "large", "enterprise")
SEGMENT_WEIGHTS = np.array([0.50, 0.30, 0.15, 0.05])
SEGMENT_ORDERS_PER_MONTH = np.array([1.3, 2.8, 5.5, 11.0])
SEGMENT_MEDIAN_AMOUNT = np.array([1_800.0, 7_500.0, 28_000.0, 110_000.0])
SEGMENT_BANK_LINE_MONTHS = np.array([1.5, 2.0, 2.5, 3.0])
"""Bank credit line in months of the customer's expected purchases (a rough size proxy)."""

# --- countries and their currencies ---
COUNTRIES: tuple[str, ...] = ("DE", "FR", "NL", "IT", "ES", "GB", "US", "PL")
COUNTRY_WEIGHTS = np.array([0.25, 0.15, 0.08, 0.12, 0.10, 0.10, 0.15, 0.05])
COUNTRY_CURRENCY: tuple[str, ...] = ("EUR", "EUR", "EUR", "EUR", "EUR", "GBP", "USD", "PLN")

# --- payment habits ---
HABITS: tuple[str, ...] = ("normal", "month_end", "early", "late_10")
HABIT_WEIGHTS = np.array([0.60, 0.15, 0.15, 0.10])
HABIT_NORMAL, HABIT_MONTH_END, HABIT_EARLY, HABIT_LATE_10 = range(4)

# --- names ---
NAME_FIRST: tuple[str, ...] = (
    "Alder", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor",
    "Iris", "Juniper", "Keystone", "Linden", "Meridian", "Northwind", "Orchid", "Pioneer",
    "Quarry", "Riverside", "Summit", "Tidewater", "Union", "Vantage", "Westfield", "Zenith",
)  # fmt: skip
NAME_SECOND: tuple[str, ...] = (
    "Works", "Supply", "Trading", "Systems", "Partners", "Industries", "Foods", "Logistics",
    "Build", "Health", "Retail", "Labs",
)  # fmt: skip
NAME_SUFFIX: tuple[str, ...] = ("GmbH", "SA", "BV", "SpA", "SL", "Ltd", "Inc", "Sp. z o.o.")
"""Legal-form suffix by country, aligned with COUNTRIES."""
