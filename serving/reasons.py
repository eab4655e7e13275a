"""Reasons: SHAP contributions turned into probability points, days and plain sentences.

Overdue contributions arrive in points of calibrated probability from
`models.attribution.probability_points` (one rescaling of exact TreeSHAP log-odds, shared
with training's explanation plots); DSO contributions are already in days and add up to
dso_30d - base DSO.

A sentence is the feature's wording (features/wording.py) filled with its value, and the
median of the customer's industry in the portfolio where the feature is a number: "Paid 45%
of invoices late in the last 90 days (industry: 12%)".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from features.wording import Wording, fill_sentence, format_value, wording_for


def wording_of(name: str, categorical: bool) -> Wording:
    """The feature's wording (features/wording.py); a plain one for a feature without it.

    Only features outside the catalog (a bundle trained on extra columns) lack a wording; they
    read "<Name>: <value>".
    """
    found = wording_for(name)
    if found is not None:
        return found
    label = name.replace("_", " ").capitalize()
    return Wording(label, label + ": {value}", "text" if categorical else "points")


def feature_texts(names: Iterable[str], categorical: Iterable[str] = ()) -> dict[str, Wording]:
    """The wording of each feature in `names`; `categorical` names those read as text."""
    text = set(categorical)
    return {name: wording_of(name, name in text) for name in names}


def reason_text(wording: Wording, value: object, median: float | None) -> str:
    """The feature's sentence with the value, and the industry's median where there is one.

    "Paid 45% of invoices late in the last 90 days (industry: 12%)".
    """
    sentence = fill_sentence(wording, value)
    if median is not None and not math.isnan(median) and wording.style != "text":
        sentence += f" (industry: {format_value(median, wording.style)})"
    return sentence


def industry_medians(
    frame: pd.DataFrame, industry_column: str, numeric_features: list[str]
) -> pd.DataFrame:
    """Median of each numeric feature per industry (rows: industry, columns: features)."""
    values = frame[numeric_features].apply(pd.to_numeric, errors="coerce")
    return values.groupby(frame[industry_column].astype("str"), dropna=True).median()


def top_reasons(
    contributions: pd.DataFrame,
    features: pd.DataFrame,
    texts: Mapping[str, Wording],
    medians: pd.DataFrame,
    industry: pd.Series,
    top_k: int,
) -> list[list[dict[str, object]]]:
    """The `top_k` largest contributions by absolute size per row, as reason dictionaries."""
    names = list(contributions.columns)
    values = contributions.to_numpy(dtype=float)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top_k]
    feature_values = features[names].to_numpy(dtype=object)
    # plain dicts and arrays: pandas scalar access per reason was most of the batch's time
    lookup: dict[str, dict[str, float]] = medians.to_dict(orient="index")  # type: ignore[assignment]
    sectors = industry.to_numpy(dtype=object)
    out: list[list[dict[str, object]]] = []
    for row, picks in enumerate(order):
        sector = sectors[row]
        reasons = []
        for j in picks:
            name = names[j]
            value = _plain(feature_values[row, j])
            median = _median(lookup, sector, name)
            reasons.append(
                {
                    "feature": name,
                    "value": value,
                    "contribution": float(values[row, j]),
                    "text": reason_text(texts[name], value, median),
                }
            )
        out.append(reasons)
    return out


def _plain(value: object) -> float | str | None:
    """A JSON-ready scalar: NaN and pandas NA become None, numbers float, the rest str."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float | np.number):
        number = float(value)
        return number if math.isfinite(number) else None
    return str(value)


def _median(
    medians: Mapping[str, Mapping[str, float]], industry: object, feature: str
) -> float | None:
    if not isinstance(industry, str):
        return None
    found = medians.get(industry, {}).get(feature)
    if found is None:
        return None
    value = float(found)
    return None if math.isnan(value) else value
