"""Fitting LightGBM: the classifiers for overdue_30d and delinquent_90d, the DSO regressor and
its p10/p90 models.

`fit_booster` is the one place LightGBM is trained; tuning (training/tune.py), the backtest
and the final fit all call it. Categories reach LightGBM as codes from the bundle's encoder and
are declared categorical, so LightGBM splits on them natively.

Monotone constraints live in `MONOTONE` below, one documented line per feature, and are
applied to both classifiers and the DSO regressor (a feature that can only raise the risk of
paying late can only raise the DSO forecast too). LightGBM refuses them for quantile
objectives, so the p10/p90 models are unconstrained. A feature absent from the frame is skipped.
The DSO regressor uses the Huber loss (quadratic within `HUBER_DAYS` of the outcome, linear
beyond), so a few customers with extreme DSO do not drag the forecast for everyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.encoding import CategoricalEncoder
from training.dataset import (
    DELINQUENT,
    DSO,
    OVERDUE,
    categorical_columns,
    feature_columns,
    labelled,
)

logger = logging.getLogger(__name__)

LATE = "a larger share of invoices paid late never means less risk"
DAYS = "paying later on average never means less risk"
MONOTONE: dict[str, tuple[int, str]] = {
    "customer_late_share_count_90d": (1, LATE),
    "customer_late_share_count_180d": (1, LATE),
    "customer_late_share_count_365d": (1, LATE),
    "customer_late_share_amount_90d": (1, LATE + " (by amount)"),
    "customer_late_share_amount_180d": (1, LATE + " (by amount)"),
    "customer_late_share_amount_365d": (1, LATE + " (by amount)"),
    "customer_days_late_mean_90d": (1, DAYS),
    "customer_days_late_mean_180d": (1, DAYS),
    "customer_days_late_mean_365d": (1, DAYS),
    "customer_severe_late_share_365d": (1, LATE + " (more than 30 days late)"),
    "customer_oldest_overdue_days": (1, "an older unpaid invoice is never a better sign"),
    "customer_average_days_delinquent": (1, "more days of DSO due to arrears is more risk"),
    "signal_lawsuits_open_latest": (1, "suppliers suing is a distress signal (DOMAIN.md)"),
}
"""Feature -> (direction, why). +1: a higher value (all else fixed) never lowers the scores."""

DATASET_PARAMS: dict[str, Any] = {"max_bin": 63, "feature_pre_filter": False, "verbosity": -1}
"""63 bins instead of LightGBM's 255: about twice as fast to fit, no measurable loss here."""
EARLY_STOPPING_ROUNDS = 50
BASE_PARAMS: dict[str, Any] = {
    **DATASET_PARAMS,
    "verbosity": -1,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 1,
}
HUBER_DAYS = 10.0
DELINQUENCY_TASK = "delinquency_classifier"
"""The calibrated classifier of delinquent_90d (the credit risk), fitted beside the four."""
MONOTONE_TASKS = ("classifier", "regressor", DELINQUENCY_TASK)
TASK_PARAMS: dict[str, dict[str, Any]] = {
    "classifier": {"objective": "binary", "metric": "auc"},
    DELINQUENCY_TASK: {"objective": "binary", "metric": "auc"},
    "regressor": {"objective": "huber", "alpha": HUBER_DAYS, "metric": "l1"},
    "regressor_p10": {"objective": "quantile", "alpha": 0.1, "metric": "quantile"},
    "regressor_p90": {"objective": "quantile", "alpha": 0.9, "metric": "quantile"},
}
TASK_TARGET = {
    "classifier": OVERDUE,
    "regressor": DSO,
    "regressor_p10": DSO,
    "regressor_p90": DSO,
    DELINQUENCY_TASK: DELINQUENT,
}
TASK_IGNORED_FEATURES: dict[str, tuple[str, ...]] = {
    DELINQUENCY_TASK: (
        "customer_amount_due_next_30d",
        "customer_invoice_count_due_next_30d",
        "customer_aging_current_amount",
        "customer_aging_current_share",
    ),
}
"""Features a task's booster must not use: the credit model never sees *when* invoices fall due,
nor how much is open and not yet due.

Whether an invoice falls due in the next 30 days decides how many chances a customer has to be
late soon, not how likely it is to fall seriously behind; a tier (which comes from the credit
model) must not move only because an invoice falls due (ARCHITECTURE "Two questions"). The
current bucket of the aging (open, not yet due) is exposure alone: a second order in a month
must not read as risk (the limit and the deal rules weigh exposure, not the tier). The
columns are blanked (all null) in that task's training matrix, so LightGBM cannot split on
them and their contributions are exactly 0 whatever their value when scored."""
CORE_TASKS = ("classifier", "regressor", "regressor_p10", "regressor_p90")
"""The four models every bundle has; `DELINQUENCY_TASK` is fitted where its label exists."""
DEFAULT_PARAMS: dict[str, Any] = {"learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 20}
"""LightGBM's own defaults but a smaller learning rate: the untuned baseline and the fallback.

`num_threads` defaults to 1 (BASE_PARAMS): on a shared 2-core machine two OpenMP threads that
compete with other processes were measured 5-20x slower than one; `TrainingSettings.threads`
raises it where the cores are free."""


@dataclass(frozen=True)
class Matrix:
    """An encoded feature matrix with its label."""

    x: pd.DataFrame
    y: np.ndarray


@dataclass
class Recipe:
    """How to fit the four models: shared tuned parameters and the rounds of each model."""

    params: dict[str, Any]
    rounds: dict[str, int] = field(default_factory=dict)
    seed: int = 0


def monotone_directions(features: Sequence[str]) -> dict[str, int]:
    """The constraints of `MONOTONE` that apply to the given features."""
    return {name: MONOTONE[name][0] for name in features if name in MONOTONE}


def fit_encoder(frame: pd.DataFrame) -> CategoricalEncoder:
    """An encoder fitted on the categorical features of a training frame."""
    return CategoricalEncoder(categorical_columns(frame)).fit(frame)


def matrix(
    frame: pd.DataFrame, encoder: CategoricalEncoder, target: str, ignored: Sequence[str] = ()
) -> Matrix:
    """The labelled rows of `frame` for `target`, encoded, the `ignored` columns blanked."""
    rows = labelled(frame, target)
    x = encoder.transform(rows[feature_columns(rows)])
    blank = [name for name in ignored if name in x]
    if blank:
        x = x.assign(**dict.fromkeys(blank, np.nan))
    return Matrix(x, rows[target].to_numpy(float))


def datasets(
    train: Matrix, valid: Matrix | None, categorical: Sequence[str]
) -> tuple[lgb.Dataset, lgb.Dataset | None]:
    """Binned LightGBM datasets for `train` (and `valid`, binned like it).

    Binning is the costly part of small fits; tuning builds these once and every trial reuses
    them (`feature_pre_filter` is off so that trials may vary `min_data_in_leaf`).
    """
    train_set = lgb.Dataset(
        train.x,
        train.y,
        categorical_feature=list(categorical),
        free_raw_data=False,
        params=DATASET_PARAMS,
    )
    if valid is None:
        return train_set, None
    return train_set, lgb.Dataset(valid.x, valid.y, reference=train_set)


def fit_booster(
    params: dict[str, Any],
    train: Matrix | lgb.Dataset,
    valid: Matrix | lgb.Dataset | None = None,
    num_boost_round: int = 100,
    callbacks: Sequence[Callable[..., None]] = (),
    categorical: Sequence[str] = (),
) -> lgb.Booster:
    """Train one booster; with `valid`, stop early once its metric stops improving.

    Args:
        params: full LightGBM parameters (see `booster_params`).
        train: training matrix, or a dataset from `datasets`.
        valid: validation matrix (or dataset) for early stopping and callbacks (pruning).
        num_boost_round: maximum rounds (exact rounds without `valid`).
        callbacks: extra LightGBM callbacks, e.g. an Optuna pruner.
        categorical: columns LightGBM treats as categorical (when given matrices).
    """
    if isinstance(train, Matrix):
        if isinstance(valid, lgb.Dataset):
            raise TypeError("valid must be a Matrix when train is a Matrix")
        train, valid = datasets(train, valid, categorical)
    if isinstance(valid, Matrix):
        raise TypeError("valid must be a Dataset when train is a Dataset")
    valid_sets: list[lgb.Dataset] = []
    all_callbacks = list(callbacks)
    if valid is not None:
        valid_sets = [valid]
        all_callbacks.append(
            lgb.early_stopping(EARLY_STOPPING_ROUNDS, first_metric_only=True, verbose=False)
        )
    return lgb.train(
        params,
        train,
        num_boost_round=num_boost_round,
        valid_sets=valid_sets,
        callbacks=all_callbacks,
    )


def booster_params(
    task: str, tuned: dict[str, Any], features: Sequence[str], seed: int
) -> dict[str, Any]:
    """Parameters of one task: base + task objective + tuned + monotone constraints + seed."""
    directions = monotone_directions(features)
    params = {**BASE_PARAMS, **TASK_PARAMS[task], **tuned, "seed": seed}
    if directions and task in MONOTONE_TASKS:
        params["monotone_constraints"] = [directions.get(name, 0) for name in features]
    return params


def choose_rounds(
    recipe: Recipe,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    max_rounds: int,
    tasks: Sequence[str] = CORE_TASKS,
) -> Recipe:
    """Fix the rounds of `tasks` by early stopping on a time-based validation split.

    Rounds already in the recipe for other tasks are kept.
    """
    encoder = fit_encoder(train)
    features = feature_columns(train)
    rounds = dict(recipe.rounds)
    for task in tasks:
        target = TASK_TARGET[task]
        booster = fit_booster(
            booster_params(task, recipe.params, features, recipe.seed),
            matrix(train, encoder, target, TASK_IGNORED_FEATURES.get(task, ())),
            matrix(valid, encoder, target, TASK_IGNORED_FEATURES.get(task, ())),
            num_boost_round=max_rounds,
            categorical=encoder.categorical_features,
        )
        rounds[task] = max(booster.best_iteration, 1)
    logger.info("rounds chosen on the tuning split: %s", rounds)
    return Recipe(recipe.params, rounds, recipe.seed)


@dataclass
class FittedModels:
    """The boosters fitted on one training set, with their encoder."""

    encoder: CategoricalEncoder
    boosters: dict[str, lgb.Booster]


def fit_models(
    recipe: Recipe, train: pd.DataFrame, tasks: Sequence[str] = CORE_TASKS
) -> FittedModels:
    """Fit the models of `tasks` (default the four of `CORE_TASKS`) on `train`, recipe rounds."""
    encoder = fit_encoder(train)
    features = feature_columns(train)
    boosters = {
        task: fit_booster(
            booster_params(task, recipe.params, features, recipe.seed),
            matrix(train, encoder, target, TASK_IGNORED_FEATURES.get(task, ())),
            num_boost_round=recipe.rounds[task],
            categorical=encoder.categorical_features,
        )
        for task, target in TASK_TARGET.items()
        if task in tasks
    }
    return FittedModels(encoder, boosters)
