"""Baselines and the Optuna search on the small labelled frame."""

from __future__ import annotations

import logging

import numpy as np
import optuna
import pandas as pd
import pytest

from training.baselines import (
    LogisticBaseline,
    PersistenceBaseline,
    UntunedLightGBM,
    make_baselines,
)
from training.dataset import feature_columns, rolling_origin_folds
from training.evaluate import classification_metrics
from training.train import fit_encoder, matrix
from training.tune import (
    DEFAULT_TRIAL,
    PruningCallback,
    best_params,
    follow_application_log_level,
    make_objective,
    suggest_params,
    tune,
)


@pytest.fixture(scope="module")
def split(training_frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    fold = rolling_origin_folds(training_frame["as_of"], 3, 2, 30)[1]
    train, test = fold.split(training_frame)
    return train, test.loc[test["overdue_30d"].notna()]


def test_persistence_is_dso_now_with_a_logged_fallback(
    split: tuple[pd.DataFrame, pd.DataFrame], caplog: pytest.LogCaptureFixture
) -> None:
    train, test = split
    test = test.head(3).assign(customer_dso_days=[40.0, np.nan, 12.5])
    caplog.set_level("INFO", logger="training.baselines")
    scores = PersistenceBaseline().fit(train).score(test)
    median = train["dso_30d"].median()
    assert scores["dso_pred"].tolist() == [40.0, pytest.approx(median), 12.5]
    assert f"persistence: 1 rows without DSO now; using {median:.1f}" in caplog.messages


def test_learned_baselines_rank_better_than_the_prior(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    train, test = split
    y = test["overdue_30d"].to_numpy(float)
    for baseline in (LogisticBaseline(seed=0), UntunedLightGBM(seed=0)):
        p = baseline.fit(train).score(test)["overdue_probability"].to_numpy()
        assert classification_metrics(y, p)["auc"] > 0.8, baseline.name


def test_persistence_needs_its_feature(
    training_frame: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    names = [b.name for b in make_baselines(["customer_noise"], seed=0)]
    assert names == [
        "customer_prior_late_share",
        "points_scorecard",
        "logistic",
        "lightgbm_untuned",
    ]
    assert "no customer_dso_days feature: the persistence baseline is skipped" in caplog.messages
    all_names = [b.name for b in make_baselines(list(training_frame.columns), seed=0)]
    assert all_names == [
        "customer_prior_late_share",
        "points_scorecard",
        "logistic",
        "persistence",
        "lightgbm_untuned",
    ]


def test_search_space_is_one_fixed_dictionary() -> None:
    trial = optuna.trial.FixedTrial(
        {
            "learning_rate": 0.05,
            "num_leaves": 16,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.9,
            "lambda_l2": 1.0,
            "min_gain_to_split": 0.0,
            "cat_smooth": 10.0,
        }
    )
    assert suggest_params(trial) == {
        "learning_rate": 0.05,
        "num_leaves": 16,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.9,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "min_gain_to_split": 0.0,
        "cat_smooth": 10.0,
    }


def objective_for(split: tuple[pd.DataFrame, pd.DataFrame]) -> object:
    train, valid = split
    encoder = fit_encoder(train)
    features = feature_columns(train)
    return make_objective(
        matrix(train, encoder, "overdue_30d"),
        matrix(valid, encoder, "overdue_30d"),
        features,
        encoder.categorical_features,
        seed=0,
        max_rounds=80,
    )


def test_seeded_search_is_reproducible(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    first = tune(objective_for(split), trials=3, seed=7)
    second = tune(objective_for(split), trials=3, seed=7)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    assert [t.value for t in first.trials] == [t.value for t in second.trials]
    assert best_params(first) == suggest_params(optuna.trial.FixedTrial(first.best_params))
    assert first.trials[0].params == DEFAULT_TRIAL  # the defaults are always tried first


def test_pruning_callback_stops_a_hopeless_trial(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
            return True

    study = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    study.optimize(objective_for(split), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [10]
    assert PruningCallback.order > 20  # after LightGBM records the evaluation
    assert best_params(study) is None


def test_tuning_commands_keep_optuna_at_the_applications_level() -> None:
    root = logging.getLogger()
    previous = root.level
    try:
        root.setLevel(logging.WARNING)  # what `arsight` sets without --verbose
        optuna.logging.set_verbosity(logging.INFO)  # what importing Optuna leaves
        follow_application_log_level()
        assert optuna.logging.get_verbosity() == logging.WARNING
    finally:
        root.setLevel(previous)
        optuna.logging.set_verbosity(logging.INFO)
