"""Global SHAP summaries and one customer's waterfall, on a small real bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from models.bundle import ModelBundle
from tests.conftest import fit_tiny_bundle, make_training_frame
from training.explain import (
    explain_customer,
    importance_table,
    plot_beeswarm,
    plot_dependence,
    plot_waterfall,
    shap_explanation,
    top_features,
)

CONTRIBUTIONS = pd.DataFrame(
    {
        "customer_dso_days": [0.5, -0.5, 0.2],
        "customer_noise": [0.0, 0.1, -0.1],
        "customer_late_share_count_180d": [1.0, 1.0, -1.0],
        "expected_value": [-1.0, -1.0, -1.0],
    }
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame(customers=80, months=8, seed=2)


@pytest.fixture(scope="module")
def bundle(frame: pd.DataFrame) -> ModelBundle:
    return fit_tiny_bundle(frame, rounds=8)


@pytest.fixture(scope="module")
def rows(frame: pd.DataFrame, bundle: ModelBundle) -> pd.DataFrame:
    return frame.loc[frame["as_of"] == frame["as_of"].max(), bundle.feature_names].head(40)


def test_top_features_rank_by_mean_absolute_contribution() -> None:
    assert top_features(CONTRIBUTIONS, 2) == ["customer_late_share_count_180d", "customer_dso_days"]


def test_importance_table_has_units_from_the_catalog_where_known() -> None:
    table = importance_table(CONTRIBUTIONS)

    assert table["feature"].tolist() == [
        "customer_late_share_count_180d",
        "customer_dso_days",
        "customer_noise",
    ]
    assert table["unit"].tolist() == ["share", "days", ""]
    np.testing.assert_allclose(table["mean_abs_shap"], [1.0, 0.4, 0.2 / 3])
    np.testing.assert_allclose(table["mean_shap"], [1 / 3, 0.2 / 3, 0.0], atol=1e-15)


def test_shap_explanation_holds_the_bundle_numbers(bundle: ModelBundle, rows: pd.DataFrame) -> None:
    explanation = shap_explanation(bundle, rows, "dso")

    expected = bundle.explain(rows).dso
    np.testing.assert_array_equal(explanation.values, expected[bundle.feature_names].to_numpy())
    np.testing.assert_array_equal(explanation.base_values, expected["expected_value"].to_numpy())
    np.testing.assert_array_equal(explanation.data, bundle.encode(rows).to_numpy(dtype=float))
    assert explanation.feature_names == bundle.feature_names


def test_customer_contributions_add_up_to_probability_minus_base(
    bundle: ModelBundle, rows: pd.DataFrame
) -> None:
    row = rows.iloc[[3]]

    explained = explain_customer(bundle, row)

    table = explained.contributions
    assert explained.probability == pytest.approx(
        bundle.predict(row)["overdue_probability"].iloc[0], abs=1e-12
    )
    assert table["contribution"].sum() == pytest.approx(
        explained.probability - explained.base_probability, abs=1e-12
    )
    sizes = table["contribution"].abs().to_numpy()
    assert (np.diff(sizes) <= 0).all()
    assert sorted(table["feature"]) == sorted(bundle.feature_names)
    first = table.iloc[0]
    assert first["value"] == row[first["feature"]].iloc[0] or pd.isna(first["value"])
    top = explained.top(2)
    assert [r["feature"] for r in top] == table["feature"].head(2).tolist()
    assert [r["contribution"] for r in top] == table["contribution"].head(2).tolist()


def test_customer_explanation_needs_exactly_one_row(
    bundle: ModelBundle, rows: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match=r"^explain_customer needs exactly one row; got 2$"):
        explain_customer(bundle, rows.head(2))


def test_plots_are_figures_of_the_requested_features(
    bundle: ModelBundle, rows: pd.DataFrame
) -> None:
    import matplotlib.pyplot as plt

    names = top_features(bundle.explain(rows).overdue, 4)

    beeswarm = plot_beeswarm(bundle, rows, max_display=5)
    dependence = plot_dependence(bundle, rows, names)
    waterfall = plot_waterfall(explain_customer(bundle, rows.iloc[[0]]))

    assert all(isinstance(f, Figure) for f in (beeswarm, dependence, waterfall))
    titles = [ax.get_title() for ax in dependence.axes if ax.get_visible() and ax.get_title()]
    assert titles == names
    assert beeswarm.get_suptitle() == "SHAP, overdue model (40 rows)"
    assert waterfall.get_suptitle().startswith("overdue probability ")
    plt.close("all")
