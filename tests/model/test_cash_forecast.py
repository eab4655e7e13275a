"""The 13-week cash forecast on hand-built invoice predictions, with exact weekly amounts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.cash_forecast import (
    FORECAST_COLUMNS,
    HORIZON_WEEKS,
    Z_90,
    forecast_receipts,
    week_starts,
    weekly_probabilities,
)
from models.invoice_model import BUCKETS

AS_OF = pd.Timestamp("2026-01-01")


def invoice(
    due_in_days: int,
    buckets: tuple[float, float, float, float, float],
    days: tuple[float, float, float],
    amount: float = 1000.0,
    customer: str = "C1",
) -> dict[str, object]:
    """One prediction row: due `due_in_days` after AS_OF (negative: overdue)."""
    return {
        "invoice_id": f"I{due_in_days}{customer}{amount}",
        "customer_id": customer,
        "due_date": AS_OF + pd.Timedelta(days=due_in_days),
        "open_amount": amount,
        **dict(zip(BUCKETS, buckets, strict=True)),
        "predicted_days_late_p10": days[0],
        "predicted_days_late_p50": days[1],
        "predicted_days_late_p90": days[2],
    }


def weekly(*rows: dict[str, object]) -> np.ndarray:
    return weekly_probabilities(pd.DataFrame(rows), AS_OF, grace_days=0)


def test_weeks_start_the_day_after_the_as_of_date() -> None:
    starts = week_starts(AS_OF)
    assert len(starts) == HORIZON_WEEKS
    assert starts[0] == pd.Timestamp("2026-01-02") and starts[-1] == pd.Timestamp("2026-03-27")


def test_an_invoice_with_all_mass_on_one_date_lands_entirely_in_its_week() -> None:
    # due in 19 days, paid 10 days late: day 29 after the as-of date, the first day of week 5
    probabilities = weekly(invoice(19, (0, 1, 0, 0, 0), (10, 10, 10)))
    expected = np.zeros(HORIZON_WEEKS)
    expected[4] = 1.0
    np.testing.assert_array_equal(probabilities[0], expected)
    frame = forecast_receipts(pd.DataFrame([invoice(19, (0, 1, 0, 0, 0), (10, 10, 10))]), AS_OF, 0)
    assert list(frame.columns) == list(FORECAST_COLUMNS)
    assert frame["expected_receipts"].tolist() == [0, 0, 0, 0, 1000.0] + [0] * 8
    assert frame["p10"].tolist() == frame["p90"].tolist() == frame["expected_receipts"].tolist()


def test_over_90_mass_without_quantiles_beyond_90_days_is_never_received() -> None:
    probabilities = weekly(invoice(-5, (0, 0, 0, 0, 1), (10, 20, 40)))
    np.testing.assert_array_equal(probabilities, np.zeros((1, HORIZON_WEEKS)))


def test_over_90_mass_follows_the_quantiles_when_they_lie_beyond_90_days() -> None:
    # 100 days past due; quantiles 101 / 110 / 130: knots 101, 101, 110, 130, 135
    probabilities = weekly(invoice(-100, (0, 0, 0, 0, 1), (101, 110, 130)))
    g = [0.1 + 0.4 * 6 / 9, 0.5 + 0.4 * 4 / 20, 0.5 + 0.4 * 11 / 20, 0.5 + 0.4 * 18 / 20, 1.0]
    expected = np.diff([0.0, *g])
    np.testing.assert_allclose(probabilities[0, :5], expected, atol=1e-12)
    np.testing.assert_array_equal(probabilities[0, 5:], np.zeros(8))


def test_a_bucket_the_quantiles_miss_is_spread_evenly_over_its_days() -> None:
    # due in 3 days; half on time (quantiles say 2 days early: day 1), half 31-60 days late,
    # where the quantiles put nothing: days late 30..60 are days 33..63, 1/30 of it per day
    probabilities = weekly(invoice(3, (0.5, 0, 0.5, 0, 0), (-2, -2, -2)))
    expected = np.zeros(HORIZON_WEEKS)
    expected[0] = 0.5
    expected[4] = 0.5 * 2 / 30
    expected[5:9] = 0.5 * 7 / 30
    np.testing.assert_allclose(probabilities[0], expected, atol=1e-12)


def test_weekly_amounts_never_exceed_the_open_amount_and_groups_add_up() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(300):
        due = int(rng.integers(-120, 90))
        buckets = rng.dirichlet(np.ones(5))
        low = max(-due + 1, float(rng.normal(0, 20)))
        days = np.sort([low, low + rng.exponential(10), low + rng.exponential(40)])
        rows.append(
            invoice(due, tuple(buckets), tuple(days), float(rng.uniform(1, 1e4)), f"C{i % 37}")
        )
    frame = pd.DataFrame(rows).assign(industry=lambda f: np.where(f.index % 2, "a", "b"))
    probabilities = weekly_probabilities(frame, AS_OF, grace_days=0)
    assert (probabilities >= 0).all() and (probabilities.sum(axis=1) <= 1 + 1e-12).all()
    portfolio = forecast_receipts(frame, AS_OF, 0, shock=0.1)
    customers = forecast_receipts(frame, AS_OF, 0, shock=0.1, by="customer_id")
    industries = forecast_receipts(frame, AS_OF, 0, shock=0.1, by="industry")
    assert portfolio["expected_receipts"].sum() <= frame["open_amount"].sum()
    for part in (customers, industries):
        total = part.groupby("week_start")["expected_receipts"].sum().to_numpy()
        np.testing.assert_allclose(total, portfolio["expected_receipts"], rtol=1e-12)
    assert len(customers) == 37 * HORIZON_WEEKS and sorted(industries["industry"].unique()) == [
        "a",
        "b",
    ]
    assert (portfolio["p10"] <= portfolio["expected_receipts"]).all()
    assert (portfolio["expected_receipts"] <= portfolio["p90"]).all()


def test_a_customers_invoices_move_together_and_the_shock_widens_the_band() -> None:
    # two invoices of 100, each paid in week 1 with probability 0.5 (else never)
    half = (0.5, 0, 0, 0, 0.5), (-2.0, -2.0, -2.0)
    same = pd.DataFrame([invoice(3, *half, 100.0, "C1"), invoice(2, *half, 100.0, "C1")])
    apart = same.assign(customer_id=["C1", "C2"])
    one = forecast_receipts(same, AS_OF, 0).iloc[0]
    two = forecast_receipts(apart, AS_OF, 0).iloc[0]
    shocked = forecast_receipts(same, AS_OF, 0, shock=0.1).iloc[0]
    assert one["expected_receipts"] == two["expected_receipts"] == 100.0
    assert one["p90"] == 100.0 + Z_90 * 100.0 and one["p10"] == 0.0
    np.testing.assert_allclose(two["p90"], 100.0 + Z_90 * np.sqrt(2 * 50.0**2))
    np.testing.assert_allclose(shocked["p90"], 100.0 + Z_90 * np.sqrt(100.0**2 + 10.0**2))


def test_no_open_invoices_give_13_weeks_of_zero_for_the_portfolio() -> None:
    empty = pd.DataFrame([invoice(3, (1, 0, 0, 0, 0), (0, 0, 0))]).iloc[:0]
    frame = forecast_receipts(empty, AS_OF, 0)
    assert len(frame) == HORIZON_WEEKS and (frame[["expected_receipts", "p90"]] == 0).all().all()
    assert forecast_receipts(empty, AS_OF, 0, by="customer_id").empty
