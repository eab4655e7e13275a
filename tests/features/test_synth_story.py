"""The synthetic world tells the story a risk officer knows, with learnable but noisy signals.

These tests read the hidden truth (weekly latent health, crisis and default dates) that
`generate_world(..., include_latent=True)` exposes and check that the observable tables carry it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.sources.synth import SynthConfig, SynthWorld, generate_world
from features.sources.synth.credit_notes import WRITE_OFF_DAYS_AFTER_DUE
from features.tables import data_end_of

START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-01-01")  # 24 months
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def world() -> SynthWorld:
    return generate_world(SynthConfig(customers=3000, months=24, seed=1), include_latent=True)


@pytest.fixture(scope="module")
def due(world: SynthWorld) -> pd.DataFrame:
    """Invoices due inside history, with `late` = not cleared by the due date."""
    inv = world.tables.invoices
    inv = inv[inv["due_date"] < END]
    on_time = inv["cleared_date"].notna() & (inv["cleared_date"] <= inv["due_date"])
    return inv.assign(late=~on_time)


def late_share_after(events: pd.DataFrame, due: pd.DataFrame, days: int) -> float:
    """Late share of the invoices falling due within `days` after each (customer_id, date) event."""
    pairs = events.merge(due[["customer_id", "due_date", "late"]], on="customer_id")
    window = (pairs["due_date"] > pairs["date"]) & (pairs["due_date"] <= pairs["date"] + days * DAY)
    return float(pairs.loc[window, "late"].mean())


def signal(world: SynthWorld, name: str) -> pd.DataFrame:
    signals = world.tables.signals
    assert signals is not None
    frame = signals[signals["name"] == name].sort_values(["customer_id", "observed_date"])
    return frame.rename(columns={"observed_date": "date"})


def dso(world: SynthWorld, customers: pd.Index, as_of: pd.Timestamp) -> float:
    """DSO of a group of customers at `as_of` (ARCHITECTURE.md definition)."""
    inv = world.tables.invoices
    payments = world.tables.payments
    assert payments is not None
    inv = inv[inv["customer_id"].isin(customers) & (inv["issue_date"] <= as_of)]
    paid = payments[payments["invoice_id"].isin(inv["invoice_id"])]
    open_amount = inv["amount"].sum() - paid.loc[paid["payment_date"] <= as_of, "amount"].sum()
    sales = inv.loc[inv["issue_date"] > as_of - 90 * DAY, "amount"].sum()
    return float(open_amount / sales * 90)


def customer_dso(world: SynthWorld, as_of: pd.Timestamp) -> pd.Series:
    """DSO of every customer with sales in the 90 days up to `as_of`."""
    inv = world.tables.invoices
    payments = world.tables.payments
    assert payments is not None
    inv = inv[inv["issue_date"] <= as_of]
    paid = payments[payments["payment_date"] <= as_of].merge(
        inv[["invoice_id", "customer_id"]], on="invoice_id"
    )
    invoiced = inv.groupby("customer_id")["amount"].sum()
    open_amount = invoiced.sub(paid.groupby("customer_id")["amount"].sum(), fill_value=0.0)
    sales = inv[inv["issue_date"] > as_of - 90 * DAY].groupby("customer_id")["amount"].sum()
    return (open_amount / sales * 90).dropna()


def test_late_share_and_portfolio_dso_are_in_a_realistic_range(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    assert 0.25 <= due["late"].mean() <= 0.40
    assert 35 <= dso(world, world.tables.customers["customer_id"], END - DAY) <= 80


def test_customers_whose_health_fell_pay_later_and_carry_a_higher_dso_afterwards(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    health = world.health.pivot(index="customer_id", columns="week_start", values="health")
    weeks = health.columns
    # Fell: average health in weeks 40-52 more than one unit below that of weeks 14-26.
    fell = (health[weeks[40:53]].mean(axis=1) - health[weeks[14:27]].mean(axis=1)) < -1.0
    assert 80 < fell.sum() < 400
    after = due[(due["due_date"] >= weeks[52]) & (due["due_date"] < weeks[52] + 180 * DAY)]
    late = after.groupby(after["customer_id"].map(fell))["late"].mean()
    assert late[True] > late[False] + 0.05
    dso_before = customer_dso(world, weeks[26])
    dso_after = customer_dso(world, weeks[52] + 90 * DAY)
    # Change per customer, so that terms and size (which differ between customers) cancel out.
    change = (dso_after - dso_before).clip(-100, 100).groupby(fell).mean()
    assert change[True] > change[False] + 5


def test_late_share_rises_steadily_as_health_falls_but_never_becomes_certain(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    week_start = due["due_date"] - pd.to_timedelta((due["due_date"] - START).dt.days % 7, "D")
    with_health = due.assign(week_start=week_start).merge(
        world.health, on=["customer_id", "week_start"]
    )
    buckets = pd.cut(with_health["health"], [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0])
    late = with_health.groupby(buckets, observed=True)["late"].mean()
    assert late.is_monotonic_decreasing and len(late) == 5
    assert late.iloc[0] > late.iloc[-1] + 0.3
    assert 0.15 < late.iloc[-1] and late.iloc[0] < 0.8  # noisy: healthy customers are late too


def test_late_payment_follows_a_bank_credit_line_cut_of_a_quarter_or_more(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    lines = signal(world, "bank_credit_line")
    previous = lines.groupby("customer_id")["value"].shift()
    cuts = lines[(lines["value"] <= 0.75 * previous) & (lines["value"] > 0)]
    assert len(cuts) > 100
    assert late_share_after(cuts, due, 90) > due["late"].mean() + 0.04


def test_the_bank_cuts_the_line_before_the_crisis_shows(world: SynthWorld) -> None:
    lines = signal(world, "bank_credit_line")
    previous = lines.groupby("customer_id")["value"].shift()
    cuts = lines[lines["value"] <= 0.75 * previous]
    traits = world.traits.merge(world.tables.customers, on="customer_id")
    crises = traits[
        (traits["onboarding_date"] < START)
        & (traits["crisis_start_date"] >= START + 120 * DAY)
        & (traits["crisis_start_date"] < END - 30 * DAY)
    ]
    pairs = crises.merge(cuts, on="customer_id")
    ahead = pairs[
        (pairs["date"] >= pairs["crisis_start_date"] - 120 * DAY)
        & (pairs["date"] <= pairs["crisis_start_date"] + 30 * DAY)
    ]
    assert ahead["customer_id"].nunique() >= 0.8 * len(crises)


def test_late_payment_follows_rising_lawsuits_and_low_credit_ratings(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    lawsuits = signal(world, "lawsuits_open")
    assert late_share_after(lawsuits[lawsuits["value"] >= 2], due, 90) > due["late"].mean() + 0.15
    ratings = signal(world, "credit_rating")
    low = late_share_after(ratings[ratings["value"] <= 3], due, 30)
    high = late_share_after(ratings[ratings["value"] >= 7], due, 30)
    assert low > high + 0.2


def test_volume_falls_as_health_falls(world: SynthWorld) -> None:
    inv = world.tables.invoices
    week_start = inv["issue_date"] - pd.to_timedelta((inv["issue_date"] - START).dt.days % 7, "D")
    per_week = inv.assign(week_start=week_start).groupby(["customer_id", "week_start"]).size()
    health = world.health.set_index(["customer_id", "week_start"])["health"]
    active = world.tables.customers.set_index("customer_id")["onboarding_date"]
    default = world.traits.set_index("customer_id")["default_date"]
    grid = health.reset_index()
    grid = grid[
        (grid["week_start"] >= grid["customer_id"].map(active))
        & ~(grid["week_start"] >= grid["customer_id"].map(default))
    ]
    counts = per_week.reindex(pd.MultiIndex.from_frame(grid[["customer_id", "week_start"]]))
    orders = counts.fillna(0).to_numpy()
    weak = grid["health"].to_numpy() < -1.5
    healthy = grid["health"].to_numpy() > 0.5
    assert orders[weak].mean() < 0.8 * orders[healthy].mean()


def test_defaulted_customers_stop_ordering_and_paying_and_leave_invoices_open(
    world: SynthWorld,
) -> None:
    traits = world.traits
    defaulted = traits[traits["default_date"] < END].set_index("customer_id")["default_date"]
    assert len(defaulted) > 20
    inv = world.tables.invoices
    inv = inv[inv["customer_id"].isin(defaulted.index)]
    assert (inv["issue_date"] < inv["customer_id"].map(defaulted)).all()
    payments = world.tables.payments
    assert payments is not None
    paid = payments.merge(inv[["invoice_id", "customer_id"]], on="invoice_id")
    assert (paid["payment_date"] <= paid["customer_id"].map(defaulted)).all()
    assert inv["cleared_date"].isna().sum() > len(defaulted)


def test_habits_disputes_industries_and_seasons_shape_payment(
    world: SynthWorld, due: pd.DataFrame
) -> None:
    habits = world.traits.set_index("customer_id")["habit"]
    cleared = due[due["cleared_date"].notna()]
    days_late = (cleared["cleared_date"] - cleared["due_date"]).dt.days
    median_late = days_late.groupby(cleared["customer_id"].map(habits)).median()
    assert 8 <= median_late["late_10"] <= 12
    assert median_late["early"] < median_late["normal"] - 5
    month_end = cleared[cleared["customer_id"].map(habits) == "month_end"]["cleared_date"]
    assert (month_end.dt.is_month_end | (month_end == month_end.dt.normalize())).mean() > 0.9
    assert (month_end.dt.is_month_end).mean() > 0.9
    disputed = days_late.groupby(cleared["disputed"]).median()
    assert disputed[True] > disputed[False] + 10
    industries = world.tables.customers.set_index("customer_id")["industry"]
    by_industry = due.groupby(due["customer_id"].map(industries))["late"].mean()
    assert by_industry["construction"] > by_industry["technology"] + 0.2
    inv = world.tables.invoices
    retail = inv[inv["customer_id"].map(industries) == "retail"]["issue_date"].dt.month
    assert (retail == 11).sum() > 1.8 * (retail == 5).sum()


def test_defaulted_customers_open_invoices_are_written_off_180_days_after_due(
    world: SynthWorld,
) -> None:
    credits, inv, payments = world.tables.credit_notes, world.tables.invoices, world.tables.payments
    assert credits is not None and payments is not None
    default = world.traits.set_index("customer_id")["default_date"]
    rows = inv.assign(default_date=inv["customer_id"].map(default))
    write_off_day = np.maximum(
        rows["due_date"] + pd.Timedelta(days=WRITE_OFF_DAYS_AFTER_DUE), rows["default_date"]
    )
    expected = rows.loc[
        rows["cleared_date"].isna() & rows["default_date"].notna() & (write_off_day < END),
        "invoice_id",
    ]
    write_offs = credits[credits["kind"] == "write_off"].merge(rows, on="invoice_id")
    assert len(write_offs) > 50
    assert sorted(write_offs["invoice_id"]) == sorted(expected)
    assert (
        write_offs["credit_date"] == write_off_day[rows["invoice_id"].isin(expected)].values
    ).all()
    assert write_offs["cleared_date"].isna().all()  # a write-off is not a payment
    # The rest of the invoice: amount less its payments and return credits.
    paid = payments.groupby("invoice_id")["amount"].sum()
    returned = credits[credits["kind"] == "credit_note"].groupby("invoice_id")["amount"].sum()
    rest = (
        write_offs["amount_y"]
        - write_offs["invoice_id"].map(paid).fillna(0.0)
        - write_offs["invoice_id"].map(returned).fillna(0.0)
    )
    assert write_offs["amount_x"].to_numpy() == pytest.approx(rest.to_numpy(), abs=1e-6)


def test_about_one_invoice_in_a_hundred_is_partly_credited_for_returns(world: SynthWorld) -> None:
    credits, inv = world.tables.credit_notes, world.tables.invoices
    assert credits is not None
    returns = credits[credits["kind"] == "credit_note"].merge(inv, on="invoice_id")
    assert 0.006 < len(returns) / len(inv) < 0.012
    assert returns["invoice_id"].is_unique
    share = returns["amount_x"] / returns["amount_y"]
    assert share.between(0.0, 0.15).all()
    after_issue = (returns["credit_date"] - returns["issue_date"]).dt.days
    assert after_issue.between(3, 21).all()
    assert data_end_of(world.tables) == data_end_of(replace(world.tables, credit_notes=None))
