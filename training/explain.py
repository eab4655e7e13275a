"""Explaining a model to people: global SHAP pictures and one customer's waterfall.

Every number is `ModelBundle.explain`'s (LightGBM's exact TreeSHAP, what `shap.TreeExplainer`
gives); the `shap` package only draws. Global views (beeswarm, dependence) are in the model's
own units: log-odds for the overdue classifier, days for the DSO regressor. A customer's
waterfall is in points of calibrated probability via `models.attribution.probability_points`,
the rescaling behind the API's reasons, so its bars are the `contribution`s `POST /v1/scores`
returns for that customer and snapshot (tests/serving/test_explain_parity.py checks it).
Labels and units come from `features.catalog`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.catalog import FEATURES
from features.wording import wording_for
from models.attribution import probability_points
from models.bundle import ModelBundle

if TYPE_CHECKING:
    import shap

logger = logging.getLogger(__name__)

Target = Literal["overdue", "delinquency", "dso"]
Risk = Literal["overdue", "delinquency"]
PROBABILITY: dict[str, str] = {
    "overdue": "overdue_probability",
    "delinquency": "delinquency_probability",
}
TOP_FEATURES = 15
WATERFALL_FEATURES = 10
UNITS = {spec.name: spec.unit for spec in FEATURES}


def contributions_of(bundle: ModelBundle, features: pd.DataFrame, target: Target) -> pd.DataFrame:
    """SHAP contributions of one model: a column per feature plus `expected_value`."""
    explanation = bundle.explain(features)
    if target == "delinquency":
        if explanation.delinquency is None:
            raise ValueError("the bundle has no delinquency model to explain")
        return explanation.delinquency
    return explanation.overdue if target == "overdue" else explanation.dso


def top_features(contributions: pd.DataFrame, n: int = TOP_FEATURES) -> list[str]:
    """The `n` features with the largest mean absolute contribution, largest first."""
    strength = contributions.drop(columns="expected_value").abs().mean()
    return list(strength.sort_values(ascending=False, kind="stable").index[:n])


def importance_table(contributions: pd.DataFrame, n: int = TOP_FEATURES) -> pd.DataFrame:
    """Mean |SHAP| and mean SHAP of the top `n` features, with their catalog units."""
    names = top_features(contributions, n)
    values = contributions[names]
    return pd.DataFrame(
        {
            "feature": names,
            "unit": [UNITS.get(name, "") for name in names],
            "mean_abs_shap": values.abs().mean().to_numpy(),
            "mean_shap": values.mean().to_numpy(),
        }
    )


def shap_explanation(
    bundle: ModelBundle, features: pd.DataFrame, target: Target = "overdue"
) -> shap.Explanation:
    """A `shap.Explanation` of one model: values, base values and encoded feature values.

    Categories are shown as the encoder's codes (the numbers the trees split on), so the
    beeswarm can colour them; `display_data` keeps the values as read for labels.
    """
    import shap

    contributions = contributions_of(bundle, features, target)
    names = list(bundle.feature_names)
    return shap.Explanation(
        values=contributions[names].to_numpy(),
        base_values=contributions["expected_value"].to_numpy(),
        data=bundle.encode(features).to_numpy(dtype=float),
        display_data=features[names].to_numpy(dtype=object),
        feature_names=names,
    )


def plot_beeswarm(
    bundle: ModelBundle,
    features: pd.DataFrame,
    target: Target = "overdue",
    max_display: int = TOP_FEATURES,
) -> Figure:
    """SHAP beeswarm: each row's contribution per top feature, coloured by the feature value."""
    import matplotlib.pyplot as plt
    import shap

    explanation = shap_explanation(bundle, features, target)
    shap.plots.beeswarm(explanation, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.suptitle(f"SHAP, {target} model ({len(features)} rows)")
    return fig


def plot_dependence(
    bundle: ModelBundle, features: pd.DataFrame, names: list[str], target: Target = "overdue"
) -> Figure:
    """One SHAP dependence plot per feature in `names`: contribution against feature value."""
    import matplotlib.pyplot as plt
    import shap

    explanation = shap_explanation(bundle, features, target)
    columns = min(len(names), 3)
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        column = bundle.feature_names.index(name)
        shap.plots.scatter(explanation[:, column], ax=ax, show=False)
        ax.set_title(name)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class CustomerExplanation:
    """One row's probability (overdue or delinquency) taken apart, in calibrated points.

    Attributes:
        target: which probability: "overdue" or "delinquency" (the credit risk).
        probability: the calibrated probability (`ModelBundle.predict`'s).
        base_probability: the calibrated probability of the average prediction (phi_0).
        contributions: every feature, largest |contribution| first: feature, value (as in
            the frame), contribution (probability points), unit; sums to probability - base.
    """

    target: str
    probability: float
    base_probability: float
    contributions: pd.DataFrame

    def top(self, k: int) -> list[dict[str, object]]:
        """The `k` largest contributions as {feature, value, contribution}, like API reasons."""
        rows = self.contributions.head(k)
        return [
            {"feature": str(feature), "value": _plain(value), "contribution": float(contribution)}
            for feature, value, contribution in zip(
                rows["feature"], rows["value"], rows["contribution"].to_numpy(float), strict=True
            )
        ]


def explain_customer(
    bundle: ModelBundle, row: pd.DataFrame, target: Risk = "overdue"
) -> CustomerExplanation:
    """The waterfall numbers of a single feature row (one customer at one snapshot).

    Raises:
        ValueError: `row` does not hold exactly one row, or the bundle lacks the model.
    """
    if len(row) != 1:
        raise ValueError(f"explain_customer needs exactly one row; got {len(row)}")
    names = list(bundle.feature_names)
    calibrator = bundle.calibrator if target == "overdue" else bundle.delinquency_calibrator
    if calibrator is None:
        raise ValueError("the bundle has no delinquency model to explain")
    points, base = probability_points(contributions_of(bundle, row, target), calibrator.transform)
    values = points.iloc[0].to_numpy(dtype=float)
    order = np.argsort(-np.abs(values), kind="stable")
    table = pd.DataFrame(
        {
            "feature": [names[j] for j in order],
            "value": row[names].iloc[0].to_numpy(dtype=object)[order],
            "contribution": values[order],
            "unit": [UNITS.get(names[j], "") for j in order],
        }
    )
    probability = float(bundle.predict(row)[PROBABILITY[target]].iloc[0])
    return CustomerExplanation(target, probability, float(base.iloc[0]), table)


def plot_waterfall(explained: CustomerExplanation, max_display: int = WATERFALL_FEATURES) -> Figure:
    """SHAP waterfall from the base probability to this customer's probability."""
    import matplotlib.pyplot as plt
    import shap

    table = explained.contributions
    explanation = shap.Explanation(
        values=table["contribution"].to_numpy(dtype=float),
        base_values=explained.base_probability,
        data=table["value"].to_numpy(dtype=object),
        feature_names=[_label(name) for name in table["feature"]],
    )
    interactive = plt.isinteractive()
    shap.plots.waterfall(explanation, max_display=max_display, show=False)
    plt.interactive(interactive)  # shap turns interactive mode off; leave it as found
    fig = plt.gcf()
    what = (
        "credit risk (30+ days behind within 90 days)"
        if explained.target == "delinquency"
        else "overdue probability"
    )
    fig.suptitle(f"{what} {explained.probability:.1%}")
    return fig


def _label(name: str) -> str:
    """The feature's business label (features/wording.py), its name when it has none."""
    wording = wording_for(name)
    return wording.label if wording is not None else name


def _plain(value: object) -> float | str | None:
    """A JSON-like scalar as the API returns it: NaN -> None, numbers float, the rest str."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, int | float | np.number):
        number = float(value)
        return number if np.isfinite(number) else None
    return str(value)
