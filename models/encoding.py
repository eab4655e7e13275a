"""Categorical encoding learned at training time and saved inside the model bundle.

LightGBM handles categories natively when they arrive as non-negative integer codes. The
encoder fixes the code of every category seen in training, so that training and serving map
the same text to the same code; a category never seen in training (or a null) becomes NaN,
which LightGBM treats as missing. The learned state is plain JSON, so a bundle stays portable.
"""

from __future__ import annotations

from typing import Any, Self

import pandas as pd


class CategoricalEncoder:
    """Map categorical feature columns to the float codes LightGBM's native handling expects.

    Follows scikit-learn's conventions: `__init__` stores parameters, `fit` sets `categories_`
    and returns self, `transform` never mutates its input.

    Args:
        categorical_features: the columns to encode; every other column passes through.
    """

    def __init__(self, categorical_features: list[str]) -> None:
        self.categorical_features = list(categorical_features)

    def fit(self, frame: pd.DataFrame) -> Self:
        """Learn the sorted list of categories of each categorical column (nulls excluded)."""
        self.categories_: dict[str, list[str]] = {
            name: sorted(str(v) for v in frame[name].dropna().unique())
            for name in self.categorical_features
        }
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A float64 copy of `frame` with categories replaced by their codes; unseen -> NaN."""
        out = frame.copy()
        for name in self.categorical_features:
            codes = {category: float(i) for i, category in enumerate(self.categories_[name])}
            column = frame[name]
            mapped = column.map(codes, na_action="ignore")
            out[name] = pd.to_numeric(mapped, errors="coerce").astype("float64")
        return out.astype({c: "float64" for c in out.columns if c not in self.categorical_features})

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data."""
        return {"categorical_features": self.categorical_features, "categories": self.categories_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalEncoder:
        """Rebuild a fitted encoder from `to_dict` output."""
        encoder = cls(list(data["categorical_features"]))
        encoder.categories_ = {k: list(v) for k, v in data["categories"].items()}
        return encoder
