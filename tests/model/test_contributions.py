"""`tree_contributions` against LightGBM's own `pred_contrib`, the reference, to 1e-9."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.bundle import BOOSTER_FILES, ModelBundle
from models.contributions import tree_contributions, uses_pred_contrib

TOLERANCE = 1e-9


def reference(booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(matrix, pred_contrib=True))


def edge_rows(bundle: ModelBundle, feature_rows: pd.DataFrame) -> np.ndarray:
    """The encoded rows plus copies whose categorical codes are NaN, negative, fractional,
    unseen or huge, and whose numbers are NaN or exactly zero: every branch of a decision."""
    matrix = bundle._matrix(feature_rows)
    copies = [matrix]
    for position in (bundle.feature_names.index(name) for name in bundle.categorical_features):
        for value in (np.nan, -1.0, -0.5, 1.7, 63.0, 1e12):
            copy = matrix[:20].copy()
            copy[:, position] = value
            copies.append(copy)
    for value in (np.nan, 0.0):
        copy = matrix[:20].copy()
        copy[:, ::3] = value
        copies.append(copy)
    return np.vstack(copies)


@pytest.mark.parametrize("kind", list(BOOSTER_FILES))
def test_equals_pred_contrib_on_every_model_of_the_bundle(
    bundle: ModelBundle, feature_rows: pd.DataFrame, kind: str
) -> None:
    booster: lgb.Booster = getattr(bundle, kind)
    matrix = edge_rows(bundle, feature_rows)
    assert np.isnan(matrix).any()
    assert not uses_pred_contrib(booster)
    values = tree_contributions(booster, matrix)
    assert values.shape == (len(matrix), len(bundle.feature_names) + 1)
    np.testing.assert_allclose(values, reference(booster, matrix), rtol=0, atol=TOLERANCE)


def test_the_classifier_splits_on_categories(bundle: ModelBundle) -> None:
    """The equality above covers categorical splits only if the model has some."""
    dumped = str(bundle.classifier.dump_model())
    assert "'decision_type': '=='" in dumped


def test_explain_equals_pred_contrib(bundle: ModelBundle, feature_rows: pd.DataFrame) -> None:
    explained = bundle.explain(feature_rows)
    matrix = bundle._matrix(feature_rows)
    for frame, booster in (
        (explained.overdue, bundle.classifier),
        (explained.dso, bundle.regressor),
    ):
        assert list(frame.index) == list(feature_rows.index)
        np.testing.assert_allclose(
            frame.to_numpy(), reference(booster, matrix), rtol=0, atol=TOLERANCE
        )


def synthetic(params: dict[str, object], rounds: int = 20) -> tuple[lgb.Booster, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 6))
    x[:, 0] = rng.integers(0, 5, 600)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[rng.random(x.shape) < 0.1] = 0.0
    y = np.nan_to_num(x[:, 1]) + (x[:, 0] == 2) + rng.normal(scale=0.3, size=600)
    if params.get("objective") == "multiclass":
        y = np.digitize(y, [-0.5, 0.5])
    data = lgb.Dataset(x, y, categorical_feature=[0], params={"verbosity": -1})
    booster = lgb.train({"verbosity": -1, "num_leaves": 15, "seed": 0, **params}, data, rounds)
    return booster, x


def test_zero_as_missing_and_huber_and_quantile_models() -> None:
    for params in (
        {"objective": "huber", "alpha": 1.0, "zero_as_missing": True},
        {"objective": "quantile", "alpha": 0.1},
        {"objective": "regression", "use_missing": False},
    ):
        booster, x = synthetic(params)
        np.testing.assert_allclose(
            tree_contributions(booster, x), reference(booster, x), rtol=0, atol=TOLERANCE
        )


def test_best_iteration_applies_as_in_predict() -> None:
    booster, x = synthetic({"objective": "regression"}, rounds=30)
    booster.best_iteration = 12
    np.testing.assert_allclose(
        tree_contributions(booster, x), reference(booster, x), rtol=0, atol=TOLERANCE
    )


def test_multiclass_falls_back_to_pred_contrib() -> None:
    """Several models per iteration: pred_contrib's own layout, from pred_contrib itself."""
    booster, x = synthetic({"objective": "multiclass", "num_class": 3}, rounds=5)
    assert uses_pred_contrib(booster)
    np.testing.assert_array_equal(tree_contributions(booster, x), reference(booster, x))


def test_linear_trees_fall_back_to_pred_contrib_and_its_error() -> None:
    booster, x = synthetic({"objective": "regression", "linear_tree": True}, rounds=5)
    assert uses_pred_contrib(booster)
    message = "Predicting SHAP feature contributions is not implemented for linear trees."
    with pytest.raises(lgb.basic.LightGBMError) as error:
        tree_contributions(booster, x)
    assert str(error.value) == message


def test_a_matrix_of_the_wrong_width_is_rejected(bundle: ModelBundle) -> None:
    width = len(bundle.feature_names)
    with pytest.raises(ValueError) as error:
        tree_contributions(bundle.classifier, np.zeros((2, width + 1)))
    assert str(error.value) == (
        f"matrix has shape (2, {width + 1}); the booster expects {width} features"
    )


def test_concurrent_calls_from_threads_agree(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    """Serving explains from a thread pool; every thread gets pred_contrib's values."""
    from concurrent.futures import ThreadPoolExecutor

    matrix = bundle._matrix(feature_rows)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: tree_contributions(bundle.regressor, matrix), range(8)))
    for values in results:
        np.testing.assert_allclose(
            values, reference(bundle.regressor, matrix), rtol=0, atol=TOLERANCE
        )
