"""The invoice model's output formula: possible buckets, floored and conformalised days late."""

from __future__ import annotations

import numpy as np

from models.invoice_model import bucket_index, days_late_quantiles, known_floor, possible_buckets


def test_buckets_by_days_late_with_grace() -> None:
    days = np.array([-5, 0, 1, 2, 30, 31, 60, 61, 90, 91, 400])
    assert bucket_index(days, 0).tolist() == [0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4]
    assert bucket_index(days, 2).tolist() == [0, 0, 0, 0, 1, 2, 2, 3, 3, 4, 4]


def test_buckets_below_the_known_floor_are_removed_and_the_rest_renormalised() -> None:
    raw = np.array([[0.5, 0.2, 0.1, 0.1, 0.1], [0.5, 0.2, 0.1, 0.1, 0.1], [1.0, 0, 0, 0, 0]])
    floor = known_floor(np.array([-10.0, 40.0, 95.0]))  # not due; 40 and 95 days past due
    out = possible_buckets(raw, floor, grace_days=0)
    np.testing.assert_allclose(out[0], raw[0])
    np.testing.assert_allclose(out[1], [0, 0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(out[2], [0, 0, 0, 0, 1])  # no mass left: the only possible one
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_quantiles_are_sorted_adjusted_hold_the_median_and_respect_the_floor() -> None:
    p10 = np.array([5.0, -2.0, 0.0])
    p50 = np.array([1.0, 3.0, 0.0])
    p90 = np.array([-1.0, 10.0, 1.0])
    floor = np.array([-30.0, -30.0, 6.0])
    low, mid, high = days_late_quantiles(p10, p50, p90, 2.0, floor)
    assert low.tolist() == [-3.0, -4.0, 6.0]
    assert mid.tolist() == [1.0, 3.0, 6.0]
    assert high.tolist() == [7.0, 12.0, 6.0]
    low, mid, high = days_late_quantiles(p10, p50, p90, -4.0, floor)  # narrowed: cross at midpoint
    assert low.tolist() == [1.0, 2.0, 6.0] and high.tolist() == [2.0, 6.0, 6.0]
