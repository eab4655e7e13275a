"""SHAP contributions in the units a customer sees: points of calibrated probability.

`ModelBundle.explain` gives exact TreeSHAP contributions of the classifier's raw log-odds
f = phi_0 + sum(phi_i), while the served number is the calibrated probability p = cal(f).
Each log-odds contribution is rescaled by one factor per row, phi_i * (p - p0) / (f - phi_0)
with p0 = cal(phi_0) the base probability, so contributions keep their SHAP ranking and signs
and add up exactly to p - p0; where f = phi_0 the factor is the calibrator's slope at f.

This is the method serving's reasons use (serving/reasons.py documents the same formula); it
lives here, on the ground floor, so that training's explanation plots (training/explain.py)
show a customer the very numbers the API returns without training importing serving.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Calibrate = Callable[[np.ndarray], np.ndarray]


def probability_points(
    contributions: pd.DataFrame, calibrate: Calibrate, step: float = 1e-4
) -> tuple[pd.DataFrame, pd.Series]:
    """Log-odds SHAP -> probability contributions and base probability, per row.

    Args:
        contributions: one column per feature plus `expected_value`, in raw log-odds
            (`Explanation.overdue`).
        calibrate: raw log-odds -> calibrated probability (the bundle's calibrator).
        step: half-width of the finite difference used where f equals phi_0.

    Returns:
        The contributions in probability (same index, one column per feature) and the base
        probability p0 of each row.
    """
    phi = contributions.drop(columns="expected_value").to_numpy(dtype=float)
    base = contributions["expected_value"].to_numpy(dtype=float)
    total = phi.sum(axis=1)
    p = calibrate(base + total)
    p0 = calibrate(base)
    slope = (calibrate(base + total + step) - calibrate(base + total - step)) / (2 * step)
    flat = np.abs(total) < 1e-12
    scale = np.where(flat, slope, (p - p0) / np.where(flat, 1.0, total))
    points = pd.DataFrame(
        phi * scale[:, None],
        index=contributions.index,
        columns=contributions.columns.drop("expected_value"),
    )
    return points, pd.Series(p0, index=contributions.index)
