"""Risk policy: tiers, overlays and recommended terms (hand-built inputs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serving.errors import PolicyError
from serving.policy import (
    DEFAULT_POLICY_PATH,
    Policy,
    Terms,
    assign_tiers,
    load_policy,
    recommend_terms,
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def test_default_policy_is_versioned_and_names_its_columns(policy: Policy) -> None:
    assert policy.version == "2026.12-1"
    assert [(b.name, b.below) for b in policy.tiers] == [
        ("green", 0.05),
        ("yellow", 0.15),
        ("orange", 0.5),
        ("red", None),
    ]
    assert policy.required_columns() == [
        "customer_average_days_delinquent",
        "customer_credit_limit",
        "customer_dso_days",
        "customer_industry",
        "customer_open_amount",
        "customer_order_volume_change_90d",
        "customer_segment",
        "customer_terms_days",
        "peer_dso_ratio_to_industry_median",
        "signal_lawsuits_open_latest",
    ]


def overlay_frame(rows: list[tuple[float, ...]]) -> pd.DataFrame:
    columns = [
        "peer_dso_ratio_to_industry_median",
        "signal_lawsuits_open_latest",
        "customer_dso_days",
        "customer_order_volume_change_90d",
        "customer_average_days_delinquent",
    ]
    return pd.DataFrame(rows, columns=columns, index=[f"C{i}" for i in range(len(rows))])


def test_tiers_from_probability_bands_with_boundaries(policy: Policy) -> None:
    features = overlay_frame([(1.0, 0, 10, 0, 0)] * 6)
    probability = pd.Series([0.0, 0.0499, 0.05, 0.15, 0.5, 1.0], index=features.index)
    tiers, fired = assign_tiers(policy, probability, features)
    assert tiers.tolist() == ["green", "green", "yellow", "orange", "red", "red"]
    assert fired.tolist() == [[]] * 6


def test_overlays_lift_but_never_lower_and_nulls_never_fire(policy: Policy) -> None:
    features = overlay_frame(
        [
            (1.21, 0, 10, 0.0, 16),  # DSO 21% above industry, 16 days past due -> yellow
            (1.20, 0, 10, 0.0, 16),  # exactly 20% above: not more than 20%
            (1.5, 0, 90, 0.0, 0),  # above the industry on 90-day terms, paid on time: no
            (1.0, 2, 10, 0.0, 0),  # two lawsuits -> orange
            (1.0, 0, 61, -0.30, 31),  # DSO > 60, 31 days past due, volume down 30% -> red
            (1.0, 0, 61, -0.30, 0),  # DSO > 60 from 60-day terms paid on time: no
            (1.0, 0, 60, -0.50, 31),  # DSO exactly 60: not above
            (np.nan, np.nan, np.nan, np.nan, np.nan),  # unknown: no overlay
            (1.5, 0, 10, 0.0, 20),  # already orange by probability: stays orange
        ]
    )
    probability = pd.Series([0.01] * 8 + [0.2], index=features.index)
    tiers, fired = assign_tiers(policy, probability, features)
    assert tiers.tolist() == [
        "yellow", "green", "green", "orange", "red", "green", "green", "green", "orange",
    ]  # fmt: skip
    assert fired.tolist() == [
        ["dso_above_industry"],
        [],
        [],
        ["supplier_lawsuits"],
        ["dso_over_60_orders_down_30"],
        [],
        [],
        [],
        ["dso_above_industry"],
    ]


@pytest.mark.parametrize(
    ("tier", "segment", "expected"),
    [
        ("green", "enterprise", Terms(terms_days=60)),
        ("green", ("large", 60), Terms(terms_days=60)),  # agreed 60 days kept while green
        ("green", ("large", 30), Terms(terms_days=45)),
        ("yellow", ("large", 60), Terms(terms_days=30)),
        ("green", ("potential", 60), Terms(terms_days=0, prepayment_share=0.3)),
        ("green", "large", Terms(terms_days=45)),
        ("green", "small", Terms(terms_days=30)),
        ("green", None, Terms(terms_days=30)),
        ("green", "potential", Terms(terms_days=0, prepayment_share=0.3)),
        ("yellow", "enterprise", Terms(terms_days=30)),
        ("orange", "enterprise", Terms(terms_days=30, prepayment_share=0.3)),
        ("red", "mid", Terms(terms_days=0, prepayment_share=1.0)),
    ],
)
def test_recommended_terms_by_tier_segment_and_agreed_terms(
    policy: Policy, tier: str, segment: str | tuple[str, int] | None, expected: Terms
) -> None:
    if isinstance(segment, tuple):
        assert recommend_terms(policy, tier, segment[0], segment[1]) == expected
    else:
        assert recommend_terms(policy, tier, segment) == expected


def test_policy_errors_say_where(tmp_path: Path, policy: Policy) -> None:
    with pytest.raises(PolicyError, match=r"^policy .*nope.yaml: cannot read \(No such file"):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("{name: yellow, below: 0.15}", "{name: yellow}")
    )
    with pytest.raises(PolicyError) as info:
        load_policy(bad)
    assert str(info.value) == (
        f"policy {bad}: (root): Value error, tiers: every band but the last needs `below`; "
        "the last must not"
    )
    with pytest.raises(PolicyError) as info:
        policy.check_columns(["customer_dso_days", "customer_industry"])
    assert str(info.value) == (
        "policy 2026.12-1: online store lacks columns ['customer_average_days_delinquent', "
        "'customer_credit_limit', 'customer_open_amount', 'customer_order_volume_change_90d', "
        "'customer_segment', 'customer_terms_days', 'peer_dso_ratio_to_industry_median', "
        "'signal_lawsuits_open_latest'] used by overlays or context"
    )
