"""Evaluation plots saved as PNG artifacts: calibration curve, ROC, SHAP beeswarm, DSO residuals.

Everything is drawn with matplotlib's Agg backend (set when plots are drawn, never at import)
so that training runs headless. The SHAP beeswarm uses the `shap` package's drawing on
LightGBM's exact `pred_contrib` values; `shap` is imported only here and only when drawing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType

import matplotlib
import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

logger = logging.getLogger(__name__)

BEESWARM_FEATURES = 15


def _pyplot() -> ModuleType:
    """pyplot on the Agg backend."""
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_calibration(y: np.ndarray, p: np.ndarray, path: Path) -> Path:
    """Reliability diagram: observed late share against mean predicted probability, 10 bins."""
    plt = _pyplot()
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.set(xlabel="predicted probability", ylabel="observed late share", title="Calibration")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_roc(y: np.ndarray, probabilities: dict[str, np.ndarray], path: Path) -> Path:
    """ROC curves of the model and each baseline on the same rows."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    for name, p in probabilities.items():
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=name)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, last fold")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_beeswarm(contributions: pd.DataFrame, values: pd.DataFrame, path: Path) -> Path:
    """SHAP beeswarm of the classifier: contributions (log-odds) coloured by feature value.

    Args:
        contributions: `Explanation.overdue` rows (features + expected_value).
        values: the encoded feature values of the same rows (categories as codes).
        path: PNG to write.
    """
    import shap

    plt = _pyplot()
    names = [c for c in contributions.columns if c != "expected_value"]
    explanation = shap.Explanation(
        values=contributions[names].to_numpy(),
        base_values=contributions["expected_value"].to_numpy(),
        data=values[names].to_numpy(dtype=float),
        feature_names=names,
    )
    shap.plots.beeswarm(explanation, max_display=BEESWARM_FEATURES, show=False)
    fig = plt.gcf()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_dso_residuals(y: np.ndarray, pred: np.ndarray, path: Path) -> Path:
    """DSO forecast errors (outcome - forecast) against the forecast, in days."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(pred, y - pred, s=4, alpha=0.3)
    ax.axhline(0, color="grey", linestyle="--")
    ax.set(
        xlabel="forecast dso_30d (days)", ylabel="outcome - forecast (days)", title="DSO residuals"
    )
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
