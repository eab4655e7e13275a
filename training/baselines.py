"""Baselines every model version must beat, fitted and scored on the same backtest folds.

- `prior`: every customer gets the training rows' late share (what a flat reserve assumes).
- `logistic`: logistic regression on the same features in one scikit-learn pipeline
  (median imputation with missing indicators and scaling for numbers, one-hot for categories).
- `persistence`: dso_30d = the customer's DSO now (the feature `PERSISTENCE_FEATURE`); where
  that is null, the training median (counted in the log).
- `lightgbm_untuned`: LightGBM with `training.train.DEFAULT_PARAMS` and 200 rounds.

Each baseline has `fit(train) -> self` and `score(test) -> DataFrame` with
`overdue_probability` and/or `dso_pred`, indexed like `test`.
"""

from __future__ import annotations

import logging
from typing import Protocol, Self

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from training.dataset import DSO, OVERDUE, categorical_columns, feature_columns, labelled
from training.train import DEFAULT_PARAMS, Recipe, fit_models

logger = logging.getLogger(__name__)

PERSISTENCE_FEATURE = "customer_dso_days"
UNTUNED_ROUNDS = 200


class Baseline(Protocol):
    name: str

    def fit(self, train: pd.DataFrame) -> Self: ...

    def score(self, test: pd.DataFrame) -> pd.DataFrame: ...


class PriorBaseline:
    """The training late share for everyone."""

    name = "prior"

    def fit(self, train: pd.DataFrame) -> Self:
        self.late_share_ = float(labelled(train, OVERDUE)[OVERDUE].mean())
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"overdue_probability": self.late_share_}, index=test.index)


def finite(values: np.ndarray) -> np.ndarray:
    """Infinite ratios become missing, so the imputer treats them like nulls."""
    out = np.asarray(values, dtype=float)
    return np.where(np.isfinite(out), out, np.nan)


def logistic_pipeline(numeric: list[str], categorical: list[str], seed: int) -> Pipeline:
    """Imputation, scaling and one-hot encoding, then an L2 logistic regression."""
    numbers = make_pipeline(
        FunctionTransformer(finite, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    )
    categories = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="unknown"),
        OneHotEncoder(handle_unknown="ignore", min_frequency=20),
    )
    columns = ColumnTransformer([("num", numbers, numeric), ("cat", categories, categorical)])
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return Pipeline([("columns", columns), ("model", model)])


class LogisticBaseline:
    """Logistic regression on the model's own features."""

    name = "logistic"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, train: pd.DataFrame) -> Self:
        rows = labelled(train, OVERDUE)
        text = categorical_columns(rows)
        # a category never observed in training carries nothing to one-hot (the IBM ledger has
        # no industry or segment); numbers that are all null stay, imputed as empty features
        categorical = [c for c in text if rows[c].notna().any()]
        numeric = [c for c in feature_columns(rows) if c not in text]
        self.pipeline_ = logistic_pipeline(numeric, categorical, self.seed)
        self.pipeline_.fit(self._inputs(rows), rows[OVERDUE].to_numpy(int))
        return self

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> pd.DataFrame:
        categorical = categorical_columns(frame)
        # scikit-learn's imputer wants object columns for text, with NaN for missing.
        return frame[feature_columns(frame)].astype(dict.fromkeys(categorical, object))

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        p = self.pipeline_.predict_proba(self._inputs(test))[:, 1]
        return pd.DataFrame({"overdue_probability": p}, index=test.index)


class PersistenceBaseline:
    """DSO in 30 days = DSO now."""

    name = "persistence"

    def fit(self, train: pd.DataFrame) -> Self:
        self.fallback_ = float(labelled(train, DSO)[DSO].median())
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        now = test[PERSISTENCE_FEATURE]
        missing = int(now.isna().sum())
        if missing:
            logger.info("persistence: %d rows without DSO now; using %.1f", missing, self.fallback_)
        return pd.DataFrame({"dso_pred": now.fillna(self.fallback_)}, index=test.index)


class UntunedLightGBM:
    """LightGBM classifier and DSO regressor with default parameters, no tuning."""

    name = "lightgbm_untuned"

    def __init__(self, seed: int = 0, threads: int = 1) -> None:
        self.seed = seed
        self.threads = threads

    def fit(self, train: pd.DataFrame) -> Self:
        tasks = ("classifier", "regressor")
        recipe = Recipe(
            {**DEFAULT_PARAMS, "num_threads": self.threads},
            dict.fromkeys(tasks, UNTUNED_ROUNDS),
            self.seed,
        )
        self.models_ = fit_models(recipe, train, tasks)
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        encoder, boosters = self.models_.encoder, self.models_.boosters
        x = encoder.transform(test[feature_columns(test)])
        return pd.DataFrame(
            {
                "overdue_probability": boosters["classifier"].predict(x),
                "dso_pred": boosters["regressor"].predict(x),
            },
            index=test.index,
        )


def make_baselines(features: list[str], seed: int, threads: int = 1) -> list[Baseline]:
    """Every baseline that the features allow (persistence needs the DSO-now feature)."""
    baselines: list[Baseline] = [PriorBaseline(), LogisticBaseline(seed)]
    if PERSISTENCE_FEATURE in features:
        baselines.append(PersistenceBaseline())
    else:
        logger.warning("no %s feature: the persistence baseline is skipped", PERSISTENCE_FEATURE)
    baselines.append(UntunedLightGBM(seed, threads))
    return baselines
