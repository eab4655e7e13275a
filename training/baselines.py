"""Baselines every model version must beat, fitted and scored on the same backtest folds.

- `customer_prior_late_share`: each customer's own share of invoices paid late before t (a
  point-in-time feature of the frame), the simple rule to beat on real ledgers; the training
  rows' late share where the customer has no settled invoice yet.
- `logistic`: logistic regression on the same features in one scikit-learn pipeline
  (median imputation with missing indicators and scaling for numbers, one-hot for categories).
- `customer_prior_severe_share` (delinquent_90d only): each customer's own share of invoices
  settled more than 30 days late in the last year; the training base rate without history.
- `points_scorecard`: the practitioners' points scorecard (`models.scorecard`: size, tax
  grade, bank line, payment history), its points mapped to a probability on the training rows;
- `persistence`: dso_30d = the customer's DSO now (the feature `PERSISTENCE_FEATURE`); where
  that is null, the training median (counted in the log).
- `lightgbm_untuned`: LightGBM with `training.train.DEFAULT_PARAMS` and 200 rounds.

Each baseline has `fit(train) -> self` and `score(test) -> DataFrame` with
`overdue_probability` and/or `dso_pred` (or, for delinquent_90d, `delinquency_probability`),
indexed like `test`. `make_baselines` gives those of the overdue and DSO backtest,
`make_delinquency_baselines` those of the delinquency backtest.
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

from models.scorecard import Scorecard, score_scorecard
from training.dataset import (
    DELINQUENT,
    DSO,
    OVERDUE,
    PROBABILITY,
    categorical_columns,
    feature_columns,
    labelled,
)
from training.train import DEFAULT_PARAMS, DELINQUENCY_TASK, Recipe, fit_models

logger = logging.getLogger(__name__)

PERSISTENCE_FEATURE = "customer_dso_days"
SEVERE_SHARE_FEATURE = "customer_severe_late_share_365d"
UNTUNED_ROUNDS = 200


class Baseline(Protocol):
    name: str

    def fit(self, train: pd.DataFrame) -> Self: ...

    def score(self, test: pd.DataFrame) -> pd.DataFrame: ...


PRIOR_LATE_SHARE_FEATURES = (
    "customer_late_share_count_365d",
    "customer_late_share_count_180d",
    "customer_late_share_count_90d",
)
"""Where the customer's prior late share is read, longest window first (the first present)."""


class CustomerPriorLateShare:
    """Each customer's own late share as of t; the training base rate without history.

    The score of a row is its first present column of `PRIOR_LATE_SHARE_FEATURES` (by
    default `customer_late_share_count_365d`: of the invoices cleared in (t-365d, t], the
    share cleared after the due date). Where that is null (no invoice settled in the window,
    e.g. a new customer) or the frame has none of these columns, the row gets the late share
    of the training rows (`fallback_`), which is what a flat reserve assumes for everyone.
    Nothing is learned but that fallback, so the rule is exactly as point-in-time as the feature.
    """

    name = "customer_prior_late_share"

    def fit(self, train: pd.DataFrame) -> Self:
        self.fallback_ = float(labelled(train, OVERDUE)[OVERDUE].mean())
        self.feature_ = next((c for c in PRIOR_LATE_SHARE_FEATURES if c in train), None)
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        if self.feature_ is None:
            share = pd.Series(self.fallback_, index=test.index)
        else:
            share = test[self.feature_].astype(float).fillna(self.fallback_)
        return pd.DataFrame({"overdue_probability": share.to_numpy()}, index=test.index)


class CustomerPriorSevereShare:
    """Each customer's own share of invoices that went more than 30 days late, as of t.

    The score of a row is `customer_severe_late_share_365d` (of the invoices cleared in
    (t-365d, t], the share cleared more than 30 days after the due date); where that is null
    (nothing settled in the year) or the frame lacks it, the delinquent_90d rate of the
    training rows (`fallback_`).
    """

    name = "customer_prior_severe_share"

    def fit(self, train: pd.DataFrame) -> Self:
        self.fallback_ = float(labelled(train, DELINQUENT)[DELINQUENT].mean())
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        share = pd.Series(self.fallback_, index=test.index)
        if SEVERE_SHARE_FEATURE in test:
            share = test[SEVERE_SHARE_FEATURE].astype(float).fillna(self.fallback_)
        return pd.DataFrame({PROBABILITY[DELINQUENT]: share.to_numpy()}, index=test.index)


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
    """Logistic regression on the model's own features, for `label` (default overdue_30d)."""

    name = "logistic"

    def __init__(self, seed: int = 0, label: str = OVERDUE) -> None:
        self.seed = seed
        self.label = label

    def fit(self, train: pd.DataFrame) -> Self:
        rows = labelled(train, self.label)
        text = categorical_columns(rows)
        # a category never observed in training carries nothing to one-hot (the IBM ledger has
        # no industry or segment); numbers that are all null stay, imputed as empty features
        categorical = [c for c in text if rows[c].notna().any()]
        numeric = [c for c in feature_columns(rows) if c not in text]
        self.pipeline_ = logistic_pipeline(numeric, categorical, self.seed)
        self.pipeline_.fit(self._inputs(rows), rows[self.label].to_numpy(int))
        return self

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> pd.DataFrame:
        categorical = categorical_columns(frame)
        # scikit-learn's imputer wants object columns for text, with NaN for missing.
        return frame[feature_columns(frame)].astype(dict.fromkeys(categorical, object))

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        p = self.pipeline_.predict_proba(self._inputs(test))[:, 1]
        return pd.DataFrame({PROBABILITY[self.label]: p}, index=test.index)


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


UNTUNED_OUTPUT = {
    "classifier": "overdue_probability",
    "regressor": "dso_pred",
    DELINQUENCY_TASK: PROBABILITY[DELINQUENT],
}
"""The score column each task of the untuned baseline fills."""


class UntunedLightGBM:
    """LightGBM with default parameters, no tuning: by default the classifier and DSO regressor.

    `tasks` picks the models (`("delinquency_classifier",)` in the delinquency backtest).
    """

    name = "lightgbm_untuned"

    def __init__(
        self, seed: int = 0, threads: int = 1, tasks: tuple[str, ...] = ("classifier", "regressor")
    ) -> None:
        self.seed = seed
        self.threads = threads
        self.tasks = tasks

    def fit(self, train: pd.DataFrame) -> Self:
        recipe = Recipe(
            {**DEFAULT_PARAMS, "num_threads": self.threads},
            dict.fromkeys(self.tasks, UNTUNED_ROUNDS),
            self.seed,
        )
        self.models_ = fit_models(recipe, train, self.tasks)
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        encoder, boosters = self.models_.encoder, self.models_.boosters
        x = encoder.transform(test[feature_columns(test)])
        return pd.DataFrame(
            {UNTUNED_OUTPUT[task]: boosters[task].predict(x) for task in self.tasks},
            index=test.index,
        )


class ScorecardBaseline:
    """The practitioners' points scorecard (`models.scorecard`), as a probability of `label`.

    The points rank customers by themselves (more points, less risk); `fit` maps them to a
    probability with a one-feature logistic regression on the training rows, so AUC is the
    scorecard's own ranking and calibration is as fair to it as to the model's calibrator.
    """

    name = "points_scorecard"

    def __init__(self, label: str = OVERDUE, card: Scorecard | None = None) -> None:
        self.label = label
        self.card = card or Scorecard()

    def _points(self, frame: pd.DataFrame) -> np.ndarray:
        points = score_scorecard(self.card, frame)["scorecard_points"]
        return points.to_numpy(float).reshape(-1, 1)

    def fit(self, train: pd.DataFrame) -> Self:
        known = labelled(train, self.label)
        self.model_ = LogisticRegression().fit(self._points(known), known[self.label].astype(int))
        return self

    def score(self, test: pd.DataFrame) -> pd.DataFrame:
        p = self.model_.predict_proba(self._points(test))[:, 1]
        return pd.DataFrame({PROBABILITY[self.label]: p}, index=test.index)


def make_baselines(features: list[str], seed: int, threads: int = 1) -> list[Baseline]:
    """Every baseline that the features allow (persistence needs the DSO-now feature)."""
    baselines: list[Baseline] = [
        CustomerPriorLateShare(),
        ScorecardBaseline(),
        LogisticBaseline(seed),
    ]
    if PERSISTENCE_FEATURE in features:
        baselines.append(PersistenceBaseline())
    else:
        logger.warning("no %s feature: the persistence baseline is skipped", PERSISTENCE_FEATURE)
    baselines.append(UntunedLightGBM(seed, threads))
    return baselines


def make_delinquency_baselines(seed: int, threads: int = 1) -> list[Baseline]:
    """The baselines of delinquent_90d: the customer's prior severe share, logistic, untuned."""
    return [
        CustomerPriorSevereShare(),
        ScorecardBaseline(DELINQUENT),
        LogisticBaseline(seed, DELINQUENT),
        UntunedLightGBM(seed, threads, (DELINQUENCY_TASK,)),
    ]
