"""A real `ModelBundle` fitted in a second: the training code's `fit_models`, a few trees each.

For tests that need a champion or a model to explain but not a tuned, calibrated one.
"""

from __future__ import annotations

import pandas as pd

from features.labels import LabelDefinition
from models.bundle import Calibrator, ModelBundle
from training.dataset import categorical_columns, feature_columns
from training.train import DEFAULT_PARAMS, TASK_PARAMS, Recipe, fit_models


def fit_small_bundle(
    frame: pd.DataFrame, rounds: int = 5, calibrator: Calibrator | None = None
) -> ModelBundle:
    """The four boosters on every labelled row of `frame`, `rounds` trees each, recipe kept."""
    recipe = Recipe(dict(DEFAULT_PARAMS), dict.fromkeys(TASK_PARAMS, rounds), seed=0)
    models = fit_models(recipe, frame)
    return ModelBundle(
        classifier=models.boosters["classifier"],
        regressor=models.boosters["regressor"],
        regressor_p10=models.boosters["regressor_p10"],
        regressor_p90=models.boosters["regressor_p90"],
        calibrator=calibrator or Calibrator("platt", slope=0.8, intercept=-0.1),
        encoder=models.encoder,
        feature_names=feature_columns(frame),
        categorical_features=categorical_columns(frame),
        pipeline_version="1",
        label_definition=LabelDefinition().to_dict(),
        data_fingerprint="tests",
        params={**recipe.params, "rounds": recipe.rounds, "seed": recipe.seed},
    )
