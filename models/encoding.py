"""Categorical encoding learned at training time and saved inside the model bundle.

LightGBM handles categories natively when they arrive as non-negative integer codes. The
encoder fixes the code of every category seen in training, so that training and serving map
the same text to the same code; a category never seen in training (or a null) becomes NaN,
which LightGBM treats as missing. The learned state is plain JSON, so a bundle stays portable.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
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
        self._lookup: dict[str, pd.Index] = {}

    def fit(self, frame: pd.DataFrame) -> Self:
        """Learn the sorted list of categories of each categorical column (nulls excluded)."""
        self.categories_: dict[str, list[str]] = {
            name: sorted(str(v) for v in frame[name].dropna().unique())
            for name in self.categorical_features
        }
        self._lookup = {}
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A float64 copy of `frame` with categories replaced by their codes; unseen -> NaN."""
        return pd.DataFrame(
            self.transform_array(frame), index=frame.index, columns=frame.columns.copy()
        )

    def transform_array(self, frame: pd.DataFrame) -> np.ndarray:
        """`transform` as one float64 matrix, built column by column without a frame copy.

        Scoring feeds this matrix straight to the four boosters, so the 2-D conversion
        happens once per chunk instead of once per booster.
        """
        matrix = np.empty((len(frame), len(frame.columns)), dtype="float64")
        categorical = [c in self.categorical_features for c in frame.columns]
        numeric = [
            name for name, is_cat in zip(frame.columns, categorical, strict=True) if not is_cat
        ]
        positions = np.flatnonzero(~np.asarray(categorical, dtype=bool))
        matrix[:, positions] = frame[numeric].astype("float64").to_numpy()
        for position in np.flatnonzero(categorical):
            name = frame.columns[position]
            matrix[:, position] = self._codes(name, frame[name])
        return matrix

    def _codes(self, name: str, column: pd.Series) -> np.ndarray:
        """Float codes of one categorical column; unseen or null -> NaN."""
        categories = self.categories_[name]
        if isinstance(column.dtype, pd.StringDtype):
            if name not in self._lookup:
                self._lookup[name] = pd.Index(categories, dtype="str")
            positions = self._lookup[name].get_indexer(column)
            return np.where(positions >= 0, positions.astype("float64"), np.nan)
        codes = {category: float(i) for i, category in enumerate(categories)}
        mapped = column.map(codes, na_action="ignore")
        return pd.to_numeric(mapped, errors="coerce").astype("float64").to_numpy()

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data."""
        return {"categorical_features": self.categorical_features, "categories": self.categories_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalEncoder:
        """Rebuild a fitted encoder from `to_dict` output."""
        encoder = cls(list(data["categorical_features"]))
        encoder.categories_ = {k: list(v) for k, v in data["categories"].items()}
        return encoder
