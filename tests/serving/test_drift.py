"""PSI of the score and the top features against the training snapshots."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.snapshots import month_end_snapshots
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from serving.batch.drift import (
    EPSILON,
    categorical_psi,
    measure_drift,
    numeric_psi,
    reference_frame,
    top_features,
)
from serving.batch.outputs import read_metadata
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)


def _term(current: float, reference: float) -> float:
    return (current - reference) * math.log(current / reference)


def test_identical_distributions_have_zero_psi() -> None:
    values = np.array([0.1, 0.5, np.nan, 0.7, 0.2, 0.9])
    assert numeric_psi(values, values.copy()) == 0.0


def test_numeric_psi_by_hand() -> None:
    reference = np.arange(100, dtype=float)  # ten bins of 10% each, no nulls
    current = np.zeros(100)  # everything in the lowest decile
    expected = _term(1.0, 0.1) + 9 * _term(EPSILON, 0.1)  # the null bin adds 0
    assert numeric_psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_nulls_are_a_bin_of_their_own() -> None:
    reference = np.arange(100, dtype=float)
    current = np.where(np.arange(100) < 50, np.nan, np.arange(100, dtype=float))
    # upper half keeps its five deciles; the lower five empty out into the null bin
    expected = 5 * _term(EPSILON, 0.1) + _term(0.5, EPSILON)
    assert numeric_psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_categorical_psi_by_hand() -> None:
    reference = pd.Series(["a", "a", "b", "b"], dtype="str")
    current = pd.Series(["a", "a", "a", None], dtype="str")
    expected = _term(0.75, 0.5) + _term(EPSILON, 0.5) + _term(0.25, EPSILON)
    assert categorical_psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_top_features_rank_by_gain(tiny_bundle: ModelBundle) -> None:
    gain = dict(
        zip(
            tiny_bundle.feature_names,
            tiny_bundle.classifier.feature_importance(importance_type="gain"),
            strict=True,
        )
    )
    top = top_features(tiny_bundle, 5)
    assert len(top) == 5
    assert [gain[n] for n in top] == sorted(gain.values(), reverse=True)[:5]


def test_reference_is_the_last_training_snapshots(world: Tables) -> None:
    end = data_end_of(world)
    frame = reference_frame(world, end, snapshots=2)
    expected = month_end_snapshots(world, as_of=end)[-2:]
    assert sorted(frame["as_of"].unique()) == expected
    assert reference_frame(world, pd.Timestamp("1990-01-01")).empty


def test_drift_of_the_reference_against_itself_is_zero(
    world: Tables, tiny_bundle: ModelBundle
) -> None:
    reference = reference_frame(world, data_end_of(world), snapshots=1)
    scores = tiny_bundle.predict(reference[tiny_bundle.feature_names])["overdue_probability"]
    report = measure_drift(reference, reference, scores, tiny_bundle)
    assert list(report.psi) == ["overdue_probability", *top_features(tiny_bundle)]
    assert set(report.psi.values()) == {0.0}
    assert report.reference_rows == len(reference)


def test_run_records_psi_in_its_metadata(two_runs: TwoRuns) -> None:
    meta = read_metadata(two_runs.second.paths.scores)
    assert meta is not None
    psi = {k: float(v) for k, v in meta.items() if k.startswith("psi_")}
    assert "psi_overdue_probability" in psi
    assert len(psi) == 6  # the score and the five top features
    assert all(v >= 0 for v in psi.values())
