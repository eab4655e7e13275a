"""Precomputed peer medians: a build over part of the customers gets the whole snapshot's peers.

The Spark engine builds features partition by partition and passes the industry medians of the
whole snapshot (`features.peers.industry_medians`); these tests pin that passing them changes
nothing when they are the frame's own, and gives every customer the peers of the full build.
Two builds of one world may differ in the last bit of a sum (DuckDB adds in parallel), hence
a relative tolerance of 1e-12 where whole frames are compared.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_frame
from features.peers import industry_medians, peers
from features.tables import Tables, data_end_of
from tests.conftest import synthetic_world
from tests.features.builders import day


@pytest.fixture(scope="module")
def world() -> Tables:
    return synthetic_world(200, 15, 3)


def _peer_input(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["as_of", "customer_dso_days", "customer_late_share_count_90d"]].assign(
        industry=frame["customer_industry"]
    )


def test_industry_medians_per_industry_and_snapshot() -> None:
    frame = pd.DataFrame(
        {
            "industry": pd.array(["x", "x", "x", None, "y"], dtype="str"),
            "as_of": [day("2024-01-31")] * 5,
            "customer_dso_days": [30.0, 60.0, 90.0, 50.0, np.nan],
            "customer_late_share_count_90d": [0.0, 0.5, np.nan, 1.0, 0.25],
        }
    )
    medians = industry_medians(frame)
    assert medians.index.tolist() == [("x", day("2024-01-31")), ("y", day("2024-01-31"))]
    assert medians["customer_dso_days"].tolist() == pytest.approx([60.0, np.nan], nan_ok=True)
    assert medians["customer_late_share_count_90d"].tolist() == [0.25, 0.25]


def test_peers_of_some_rows_against_the_medians_of_all() -> None:
    frame = pd.DataFrame(
        {
            "industry": pd.array(["x", "x", "x", "x", None], dtype="str"),
            "as_of": [day("2024-01-31")] * 5,
            "customer_dso_days": [30.0, 60.0, 90.0, 45.0, 50.0],
            "customer_late_share_count_90d": [0.0, 0.5, 1.0, 0.25, 1.0],
        },
        index=[10, 11, 12, 13, 14],
    )
    part = frame.loc[[12, 14]]
    result = peers(part, industry_medians(frame))
    assert list(result.index) == [12, 14]
    assert result["peer_dso_ratio_to_industry_median"].tolist() == pytest.approx(
        [90.0 / 52.5, np.nan], nan_ok=True
    )
    assert result["peer_late_share_90d_difference_to_industry_median"].tolist() == pytest.approx(
        [1.0 - 0.375, np.nan], nan_ok=True
    )
    assert not peers(part).equals(result)  # its own medians differ


def test_frame_identical_with_and_without_its_own_medians(world: Tables) -> None:
    end = data_end_of(world).normalize()
    as_ofs = [end - pd.Timedelta(days=61), end]
    plain = build_feature_frame(world, as_ofs)
    given = build_feature_frame(world, as_ofs, peer_medians=industry_medians(_peer_input(plain)))
    # DuckDB's parallel sums are not bit-reproducible between two builds: 1e-12, not exact.
    pd.testing.assert_frame_equal(given, plain, rtol=1e-12)


def test_half_the_customers_with_global_medians_get_the_full_build_rows(world: Tables) -> None:
    as_of = data_end_of(world).normalize()
    full = build_feature_frame(world, as_of)
    half = set(world.customers["customer_id"].iloc[::2])
    invoices = world.invoices.loc[world.invoices["customer_id"].isin(half)]
    assert world.payments is not None and world.signals is not None and world.deals is not None
    subset = replace(
        world,
        customers=world.customers.loc[world.customers["customer_id"].isin(half)],
        invoices=invoices,
        payments=world.payments.loc[world.payments["invoice_id"].isin(invoices["invoice_id"])],
        signals=world.signals.loc[world.signals["customer_id"].isin(half)],
        deals=world.deals.loc[world.deals["customer_id"].isin(half)],
    )
    part = build_feature_frame(subset, as_of, peer_medians=industry_medians(_peer_input(full)))
    expected = full.loc[full["customer_id"].isin(half)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected, rtol=1e-12)
    alone = build_feature_frame(subset, as_of)
    ratio = "peer_dso_ratio_to_industry_median"
    assert not np.allclose(alone[ratio], expected[ratio], equal_nan=True)
