"""Reasons: SHAP contributions turned into probability points, days and plain sentences.

Overdue contributions arrive in points of calibrated probability from
`models.attribution.probability_points` (one rescaling of exact TreeSHAP log-odds, shared
with training's explanation plots); DSO contributions are already in days and add up to
dso_30d - base DSO.

A sentence pairs the feature's catalog definition with its value and the median of the
customer's industry in the online store: "Late share ... is 45% (industry median 12%)".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FeatureText:
    """What a reason sentence needs to know about a feature."""

    name: str
    label: str
    unit: str
    kind: str


def label_from_definition(name: str, definition: str | None) -> str:
    """The first sentence of a catalog definition, or the humanised name without one."""
    if not definition:
        return name.replace("_", " ").capitalize()
    first = definition.strip().split(". ")[0].split("; ")[0].rstrip(".")
    return first[:1].upper() + first[1:]


def feature_texts(
    names: Iterable[str], catalog: Mapping[str, tuple[str, str, str]]
) -> dict[str, FeatureText]:
    """FeatureText per feature from catalog entries `name -> (definition, unit, kind)`."""
    texts = {}
    for name in names:
        definition, unit, kind = catalog.get(name, ("", "value", "numeric"))
        texts[name] = FeatureText(name, label_from_definition(name, definition), unit, kind)
    return texts


def format_value(value: object, unit: str) -> str:
    """A value as a risk officer reads it: 45%, 62 days, 12,500, 1.35."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if not isinstance(value, int | float | np.number):
        return str(value)
    v = float(value)
    if unit == "share":
        return f"{v:.0%}"
    if unit == "days":
        return f"{v:,.0f} days"
    if unit in ("currency", "count"):
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def reason_text(text: FeatureText, value: object, median: float | None) -> str:
    """`<label> is <value> (industry median <median>)`; no comparison when there is none."""
    sentence = f"{text.label} is {format_value(value, text.unit)}"
    if median is not None and not math.isnan(median) and text.kind != "categorical":
        sentence += f" (industry median {format_value(median, text.unit)})"
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
    texts: Mapping[str, FeatureText],
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
