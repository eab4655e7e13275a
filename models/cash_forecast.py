"""The 13-week cash-collection forecast: expected receipts per week from the invoice model.

Treasury plans on cash in per week, so the forecast turns each open invoice's predicted
payment behaviour into a probability of being paid in each of the next 13 weeks and adds up
open amount x probability (an expected amount, not the amount of the invoices whose median
date falls in the week). The batch job (serving) and the backtest (training) both call
`forecast_receipts`, so the figures a treasurer sees are the figures the backtest judged.

Weeks: week k covers the days t + 7(k-1) + 1 ... t + 7k after the as-of date t, so week 1
starts the day after t (the first day whose receipts are not yet known); nothing between t
and the first week is lost, and a run on Sunday's books gives Monday-to-Sunday weeks.
`week_start` is the first day of each week.

Payment-date distribution of one invoice (days late D = payment date - due date), built from
the invoice model's output so that it agrees with both its parts:

1. a piecewise-linear quantile function Q through (0.1, p10), (0.5, p50), (0.9, p90), its
   tails continued with the slopes of the neighbouring segments to (0, q0) and (1, q1),
   q0 floored at the known bound (days past due + 1); its CDF is G;
2. the delay buckets fix how much mass lies in each range: on time (D <= grace), 1-30, 31-60,
   61-90 and over 90 days late (or never); within a bucket the mass is spread like G there,
   so P(D <= each bucket bound) equals the model's cumulative bucket probabilities exactly;
3. where G puts nothing in a bucket the model gives mass to: the on-time mass is paid on the
   last on-time day (due + grace), a 1-30 / 31-60 / 61-90 mass is spread evenly over the
   bucket's days still possible, and the over-90 mass is never received (the quantiles do not
   say when): an invoice predicted "over 90 days late or never" contributes only where its
   own quantiles put payments beyond 90 days late.

Weekly probabilities are differences of that CDF at the week ends, so over 13 weeks they sum
to at most 1 and the expected receipts of an invoice never exceed its open amount.

Band (p10-p90 of weekly receipts): invoices are not independent. A customer pays several
invoices in one run, so within a customer the weekly amounts are taken as fully correlated
(standard deviation sum_i A_i sqrt(P_i (1 - P_i))); customers are independent of each other.
Portfolio-wide shocks (a slow month, the model's own bias) do not shrink with the number of
customers, so a relative shock `shock` x expected is added in quadrature:
var = sum_c sd_c^2 + (shock x expected)^2, and the band is expected +- z_0.9 x sqrt(var),
floored at 0. `shock` is fitted out of time by the backtest (training/cash_backtest.py) and
stored with the invoice model (`InvoiceModel.cash_band_shock`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.invoice_model import BUCKETS, DAYS_COLUMNS, bucket_bounds

HORIZON_WEEKS = 13
Z_90 = 1.2815515655446004
"""Standard normal 0.9 quantile: expected +- Z_90 sd is a central 80% (p10-p90) band."""
LEVELS = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
FORECAST_COLUMNS: tuple[str, ...] = ("week_start", "expected_receipts", "p10", "p90")
"""Columns of every forecast frame, after the group column."""


def week_starts(as_of: pd.Timestamp, weeks: int = HORIZON_WEEKS) -> pd.DatetimeIndex:
    """The first day of each forecast week: t + 1, t + 8, ... (module docstring)."""
    first = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    return pd.date_range(first, periods=weeks, freq="7D")


def quantile_knots(
    p10: np.ndarray, p50: np.ndarray, p90: np.ndarray, floor: np.ndarray
) -> np.ndarray:
    """(n, 5) days late at levels 0, 0.1, 0.5, 0.9, 1: the quantile function's knots."""
    q0 = np.maximum(p10 - (p50 - p10) * 0.25, floor)
    q1 = p90 + (p90 - p50) * 0.25
    knots = np.column_stack([q0, np.maximum(p10, q0), p50, p90, q1])
    return np.maximum.accumulate(knots, axis=1)


def quantile_cdf(knots: np.ndarray, x: np.ndarray) -> np.ndarray:
    """G(x) of the piecewise-linear quantile function; `x` is (n, m); a flat segment is a step."""
    cdf = np.zeros(x.shape)
    for j in range(len(LEVELS) - 1):
        lo, hi = knots[:, j : j + 1], knots[:, j + 1 : j + 2]
        width = hi - lo
        ramp = np.where(width > 0, (x - lo) / np.where(width > 0, width, 1.0), x >= lo)
        cdf += (LEVELS[j + 1] - LEVELS[j]) * np.clip(ramp, 0.0, 1.0)
    return cdf


def bucket_share(
    b: int, knots: np.ndarray, x: np.ndarray, floor: np.ndarray, grace_days: int
) -> np.ndarray:
    """Share of bucket b's mass at days late <= x (module docstring, steps 2 and 3)."""
    edges = np.concatenate([[-np.inf], bucket_bounds(grace_days), [np.inf]])
    lower, upper = edges[b], edges[b + 1]
    at = np.column_stack([np.full(len(knots), lower), np.full(len(knots), upper)])
    g_lower, g_upper = (quantile_cdf(knots, at[:, i : i + 1])[:, 0] for i in (0, 1))
    mass = (g_upper - g_lower)[:, None]
    shaped = (quantile_cdf(knots, np.minimum(x, upper)) - g_lower[:, None]) / np.where(
        mass > 0, mass, 1.0
    )
    if b == 0:
        fallback = (x >= upper).astype(float)
    elif b == len(BUCKETS) - 1:
        fallback = np.zeros(x.shape)
    else:
        start = np.maximum(lower, floor - 1.0)[:, None]
        span = upper - start
        fallback = np.where(span > 0, (x - start) / np.where(span > 0, span, 1.0), 1.0)
    return np.clip(np.where(mass > 0, shaped, fallback), 0.0, 1.0)


def weekly_probabilities(
    invoices: pd.DataFrame, as_of: pd.Timestamp, grace_days: int, weeks: int = HORIZON_WEEKS
) -> np.ndarray:
    """(n, weeks): each invoice's probability of being paid in each forecast week.

    Args:
        invoices: rows with due_date, the `BUCKETS` probabilities and the `DAYS_COLUMNS`
            quantiles (the invoice model's output at `as_of`).
        as_of: the date the predictions were made at.
        grace_days: the invoice model's grace days (the on-time bucket's end).
    """
    if invoices.empty:
        return np.zeros((0, weeks))
    t = pd.Timestamp(as_of).normalize()
    past_due = (t - pd.to_datetime(invoices["due_date"])).dt.days.to_numpy(float)
    floor = past_due + 1.0
    p10, p50, p90 = (invoices[c].to_numpy(float) for c in DAYS_COLUMNS)
    knots = quantile_knots(p10, p50, p90, floor)
    ends = past_due[:, None] + 7.0 * np.arange(weeks + 1)[None, :]
    probabilities = invoices[list(BUCKETS)].to_numpy(float)
    cdf = np.zeros(ends.shape)
    for b in range(len(BUCKETS)):
        cdf += probabilities[:, b : b + 1] * bucket_share(b, knots, ends, floor, grace_days)
    return np.clip(np.diff(cdf, axis=1), 0.0, 1.0)


def forecast_receipts(
    invoices: pd.DataFrame,
    as_of: pd.Timestamp,
    grace_days: int,
    shock: float = 0.0,
    by: str | None = None,
) -> pd.DataFrame:
    """Expected receipts and the p10-p90 band per week, for the portfolio or per group.

    Args:
        invoices: open invoices with customer_id, due_date, open_amount and the model's
            output (`weekly_probabilities`).
        as_of: the predictions' date.
        grace_days: the invoice model's grace days.
        shock: the relative portfolio shock of the band (module docstring).
        by: a column to group by (customer_id, an industry column); None: the portfolio.

    Returns:
        `by` (when given), then `FORECAST_COLUMNS`: 13 rows per group (groups sorted; the
        portfolio: 13 rows, zeros without invoices).
    """
    return forecast_by(invoices, as_of, grace_days, shock, [by])[0]


def forecast_by(
    invoices: pd.DataFrame,
    as_of: pd.Timestamp,
    grace_days: int,
    shock: float,
    groupings: Sequence[str | None],
) -> list[pd.DataFrame]:
    """`forecast_receipts` for several groupings at once (the payment probabilities of the
    invoices are computed once; the nightly job wants portfolio, industries and customers)."""
    probabilities = weekly_probabilities(invoices, as_of, grace_days)
    amount = invoices["open_amount"].to_numpy(float)[:, None]
    expected = amount * probabilities
    spread = amount * np.sqrt(probabilities * (1.0 - probabilities))
    keys = ["customer_id", *sorted({g for g in groupings if g not in (None, "customer_id")})]
    weeks = list(range(HORIZON_WEEKS))
    frame = invoices[keys].reset_index(drop=True)
    per_customer = (
        pd.concat([frame, pd.DataFrame(expected), pd.DataFrame(spread).add_prefix("sd_")], axis=1)
        .groupby(keys, sort=True, dropna=False)
        .sum()
    )
    mean = per_customer[weeks]
    variance = per_customer[[f"sd_{k}" for k in weeks]].pow(2).set_axis(weeks, axis=1)
    results = []
    for by in groupings:
        if by is None:
            group_mean, group_variance = mean.sum().to_frame().T, variance.sum().to_frame().T
        else:
            group_mean, group_variance = (f.groupby(level=by).sum() for f in (mean, variance))
        results.append(band_frame(group_mean, group_variance, shock, as_of, by))
    return results


def band_frame(
    mean: pd.DataFrame, variance: pd.DataFrame, shock: float, as_of: pd.Timestamp, by: str | None
) -> pd.DataFrame:
    """Long frame (group, week_start, expected, p10, p90) from wide mean and variance."""
    half = Z_90 * np.sqrt(variance.to_numpy(float) + (shock * mean.to_numpy(float)) ** 2)
    starts = week_starts(as_of)
    groups = np.repeat(mean.index.to_numpy(), HORIZON_WEEKS)
    centre = mean.to_numpy(float)
    long = pd.DataFrame(
        {
            "week_start": np.tile(starts.to_numpy(), len(mean)),
            "expected_receipts": centre.ravel(),
            "p10": np.maximum(centre - half, 0.0).ravel(),
            "p90": (centre + half).ravel(),
        }
    )
    if by is None:
        return long.reset_index(drop=True)
    return long.assign(**{by: groups})[[by, *FORECAST_COLUMNS]]
