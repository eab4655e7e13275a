"""Hyper-parameter search with Optuna: one search space, seeded TPE, pruning, time limit.

The data are split once, outside the objective (`training.dataset.tuning_fold`): the objective
only fits the classifier on the fixed training rows and returns its validation AUC. Unpromising
trials are pruned from inside LightGBM's boosting loop by `PruningCallback`, which reports the
validation AUC to Optuna every `report_every` rounds (optuna-integration is not installed; this
is the few lines it would provide). The tuned parameters are shared by all four models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import lightgbm as lgb
import optuna

from training.train import DEFAULT_PARAMS, Matrix, booster_params, datasets, fit_booster

logger = logging.getLogger(__name__)


def follow_application_log_level() -> None:
    """Make Optuna's logger honour the application's root logging level.

    On import Optuna attaches its own handler and sets its logger to INFO (one line per
    trial), undoing any level set before; commands that tune call this once Optuna is loaded,
    so `arsight train` stays quiet unless `--verbose`. Notebooks keep Optuna's lines.
    """
    optuna.logging.set_verbosity(logging.getLogger().getEffectiveLevel())


def suggest_params(trial: optuna.trial.BaseTrial) -> dict[str, Any]:
    """The one search space (tree shape, regularisation, sampling, learning rate)."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 8, 128, log=True),
        "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 10, 300, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "bagging_freq": 1,
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
        "min_gain_to_split": trial.suggest_float("min_gain_to_split", 0.0, 1.0),
        "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 50.0, log=True),
    }


DEFAULT_TRIAL: dict[str, Any] = {
    **DEFAULT_PARAMS,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "lambda_l2": 1e-3,
    "min_gain_to_split": 0.0,
    "cat_smooth": 10.0,
}
"""The untuned baseline's `DEFAULT_PARAMS` as a point of the search space: no feature or row
subsampling, LightGBM's default `cat_smooth` and no minimum gain, and the smallest L2 the space
allows (1e-3, against LightGBM's 0). It is the first trial of every search, so the tuned
recipe can only depart from the defaults when the validation split says that is better;
on small ledgers, where TPE's first random points are noisy, this keeps tuning from
doing harm."""


class PruningCallback:
    """LightGBM callback reporting the first validation metric to an Optuna trial.

    Raises `optuna.TrialPruned` when the pruner says so; LightGBM lets it propagate.
    """

    order = 30  # after LightGBM's own callbacks have recorded the evaluation

    def __init__(self, trial: optuna.Trial, report_every: int = 10) -> None:
        self.trial = trial
        self.report_every = report_every

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        if not env.evaluation_result_list or (env.iteration + 1) % self.report_every:
            return
        _, _, value, _ = env.evaluation_result_list[0][:4]
        self.trial.report(float(value), step=env.iteration + 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at round {env.iteration + 1} (AUC {value:.4f})")


def make_objective(
    train: Matrix,
    valid: Matrix,
    features: Sequence[str],
    categorical: Sequence[str],
    seed: int = 0,
    max_rounds: int = 1000,
    threads: int = 1,
) -> Callable[[optuna.Trial], float]:
    """The objective: validation AUC of the classifier fitted with the trial's parameters.

    The datasets are binned here, once; every trial reuses them.
    """
    train_set, valid_set = datasets(train, valid, categorical)

    def objective(trial: optuna.Trial) -> float:
        tuned = {**suggest_params(trial), "num_threads": threads}
        params = booster_params("classifier", tuned, features, seed)
        booster = fit_booster(
            params, train_set, valid_set, max_rounds, callbacks=[PruningCallback(trial)]
        )
        trial.set_user_attr("rounds", booster.best_iteration)
        return float(booster.best_score["valid_0"]["auc"])

    return objective


def tune(
    objective: Callable[[optuna.Trial], float],
    trials: int,
    timeout_seconds: float | None = None,
    seed: int = 0,
    callbacks: Sequence[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] = (),
) -> optuna.Study:
    """Run a seeded TPE study maximising `objective`, with median pruning.

    The first trial is `DEFAULT_TRIAL` (the defaults), the others are TPE's.

    Args:
        objective: from `make_objective`.
        trials: the number of trials (the search stops earlier at `timeout_seconds`).
        timeout_seconds: wall-clock limit, or None.
        seed: sampler seed.
        callbacks: called after each trial (tracking logs each as a nested MLflow run).
    """
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=20),
    )
    study.enqueue_trial(DEFAULT_TRIAL)
    study.optimize(
        objective,
        n_trials=trials,
        timeout=timeout_seconds,
        callbacks=list(callbacks),
        gc_after_trial=False,
    )
    logger.info("tuning: %d trials finished", len(study.trials))
    return study


def best_params(study: optuna.Study) -> dict[str, Any] | None:
    """The best trial's parameters as `suggest_params` returns them; None if none completed."""
    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not completed:
        logger.warning("tuning: no trial completed; default parameters are used")
        return None
    return suggest_params(optuna.trial.FixedTrial(study.best_params))
