"""Should the new version become `champion`? Compared on the same backtest as the challenger.

The challenger's evidence is its last-fold AUC from the backtest. The champion's recipe
(tuned parameters, rounds and seed are stored in its bundle) is refitted on the same
last-fold training rows and scored on the same test rows, so both are judged out of time on
identical data. When the champion was trained on other features (an older or newer feature
pipeline), its recipe is refitted on those rows with its own feature list, as long as today's
frame still holds every one of them: scoring the champion as trained would judge it partly on
rows it was trained on, flattering it and refusing a better challenger. Only a champion without
a stored recipe (no rounds) is scored as trained, and the reason says so.
AUC is compared on raw scores: calibration is monotone and does not change the ranking.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from models.bundle import ModelBundle
from training.backtest import MODEL, BacktestResult
from training.dataset import KEYS, OVERDUE, TARGETS, feature_columns, labelled
from training.train import Recipe, fit_models

logger = logging.getLogger(__name__)


def champion_raw_scores(
    champion: ModelBundle, frame: pd.DataFrame, backtest: BacktestResult
) -> tuple[np.ndarray, str]:
    """The champion's raw scores on the last fold's labelled test rows, and how they were made."""
    own = frame[[*KEYS, *(t for t in TARGETS if t in frame), *champion.feature_names]]
    train, test = backtest.last_fold.split(own)
    test = labelled(test, OVERDUE)
    params = dict(champion.params)
    if "rounds" not in params:
        return champion.raw_overdue_score(test[champion.feature_names]), "champion as trained"
    rounds, seed = params.pop("rounds"), int(params.pop("seed"))
    recipe = Recipe(params, {k: int(v) for k, v in rounds.items()}, seed)
    models = fit_models(recipe, train, ("classifier",))
    x = models.encoder.transform(test[champion.feature_names])
    raw = np.asarray(models.boosters["classifier"].predict(x, raw_score=True))
    how = "champion recipe refitted on the same fold"
    if champion.feature_names != feature_columns(frame):
        how += f" with its own {len(champion.feature_names)} features"
    return raw, how


def decide_promotion(
    backtest: BacktestResult,
    frame: pd.DataFrame,
    champion: ModelBundle | None,
    challenger: ModelBundle | None = None,
) -> tuple[bool, str]:
    """(promote?, why): promote when there is no champion or the challenger's AUC is higher.

    A `challenger` without the delinquency model is never promoted: serving tiers customers
    by its credit risk and refuses a bundle without it (serving.scoring.require_credit_model).
    """
    if challenger is not None and challenger.delinquency_classifier is None:
        skipped = challenger.report.get("delinquency", {}).get("skipped", "")
        return False, (
            "challenger has no delinquency model"
            + (f" ({skipped})" if skipped else "")
            + ": risk tiers need delinquency_probability, so it is registered but not served"
        )
    rows = backtest.scored[MODEL]
    last = labelled(rows.loc[rows["fold"] == backtest.last_fold.number], OVERDUE)
    y = last[OVERDUE].to_numpy(float)
    challenger_auc = float(roc_auc_score(y, last["raw_score"].to_numpy()))
    if champion is None:
        return True, f"no champion yet; challenger AUC {challenger_auc:.4f}"
    missing = sorted(set(champion.feature_names) - set(frame.columns))
    if missing:
        return True, f"champion cannot be scored on today's features (missing {missing})"
    raw, how = champion_raw_scores(champion, frame, backtest)
    champion_auc = float(roc_auc_score(y, raw))
    verdict = challenger_auc > champion_auc
    fold = backtest.last_fold
    return verdict, (
        f"challenger AUC {challenger_auc:.4f} {'beats' if verdict else 'does not beat'} "
        f"champion AUC {champion_auc:.4f} ({how}) on the last fold "
        f"({fold.test_start.date()} to {fold.test_end.date()})"
    )
