"""Rolling-origin backtest of a recipe and every baseline on the same folds.

For each fold the four LightGBM models and each baseline are fitted on the fold's training
rows and score its test rows. The classifier's raw scores on the test rows are out-of-sample,
so they also choose and fit the calibrator (training/calibrate.py). Reported probabilities of
fold k are calibrated with the chosen method fitted on folds before k only (fold 1, which has
none, shows the uncalibrated sigmoid and is left out of calibration metrics' headline).
The headline metrics are those of the last fold, the most recent out-of-time period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.bundle import Calibrator
from training.baselines import Baseline
from training.calibrate import FoldScores, choose_calibrator, fit_calibrator
from training.dataset import DSO, KEYS, OVERDUE, Fold, feature_columns, labelled
from training.evaluate import decile_table, evaluate_scored, segment_table
from training.train import Recipe, fit_models

logger = logging.getLogger(__name__)

MODEL = "model"


@dataclass
class BacktestResult:
    """Scored test rows of every fold for the model and each baseline, and the calibrator.

    Attributes:
        folds: the folds, oldest first.
        scored: name -> test rows with `fold`, keys, labels, `overdue_probability` and/or
            `dso_pred` (the model also has `raw_score`, `dso_p10`, `dso_p90`).
        calibrator: the chosen method fitted on every fold's out-of-sample scores.
        calibration_briers: mean held-out Brier of each calibration method.
    """

    folds: list[Fold]
    scored: dict[str, pd.DataFrame]
    calibrator: Calibrator
    calibration_briers: dict[str, float] = field(default_factory=dict)

    @property
    def last_fold(self) -> Fold:
        return self.folds[-1]

    def metrics(self, fold: int | None = None) -> dict[str, dict[str, float]]:
        """name -> metrics on one fold's test rows (default: the last fold)."""
        number = self.last_fold.number if fold is None else fold
        return {
            name: evaluate_scored(rows.loc[rows["fold"] == number])
            for name, rows in self.scored.items()
        }

    def fold_table(self) -> pd.DataFrame:
        """One row per (model, fold) with the headline metrics."""
        rows = []
        for fold in self.folds:
            for name, metrics in self.metrics(fold.number).items():
                rows.append({"model": name, **fold.to_dict(), **metrics})
        return pd.DataFrame(rows)


def score_test(models: Any, test: pd.DataFrame) -> pd.DataFrame:
    """The model's raw score, DSO forecast and interval on `test` (probabilities come later)."""
    x = models.encoder.transform(test[feature_columns(test)])
    boosters = models.boosters
    low, high = boosters["regressor_p10"].predict(x), boosters["regressor_p90"].predict(x)
    return pd.DataFrame(
        {
            "raw_score": boosters["classifier"].predict(x, raw_score=True),
            "dso_pred": boosters["regressor"].predict(x),
            "dso_p10": np.minimum(low, high),
            "dso_p90": np.maximum(low, high),
        },
        index=test.index,
    )


def frame_rows(test: pd.DataFrame, fold: Fold, scores: pd.DataFrame) -> pd.DataFrame:
    """Keys and labels of `test` beside one model's scores, tagged with the fold."""
    base = test[[*KEYS, OVERDUE, DSO]].assign(fold=fold.number)
    return pd.concat([base, scores], axis=1)


def calibrate_folds(
    model_rows: pd.DataFrame, folds: list[Fold]
) -> tuple[pd.Series, Calibrator, dict[str, float]]:
    """Probabilities per fold from calibrators fitted on earlier folds; the final calibrator."""
    fold_scores = []
    for fold in folds:
        rows = labelled(model_rows.loc[model_rows["fold"] == fold.number], OVERDUE)
        fold_scores.append(FoldScores(rows["raw_score"].to_numpy(), rows[OVERDUE].to_numpy(float)))
    calibrator, briers = choose_calibrator(fold_scores)
    probability = 1.0 / (1.0 + np.exp(-model_rows["raw_score"]))
    for k, fold in enumerate(folds[1:], start=1):
        earlier = fold_scores[:k]
        fitted = fit_calibrator(
            calibrator.method,
            np.concatenate([f.raw for f in earlier]),
            np.concatenate([f.y for f in earlier]),
        )
        mask = model_rows["fold"] == fold.number
        probability[mask] = fitted.transform(model_rows.loc[mask, "raw_score"].to_numpy())
    return probability, calibrator, briers


def run_backtest(
    frame: pd.DataFrame, folds: list[Fold], recipe: Recipe, baselines: list[Baseline]
) -> BacktestResult:
    """Fit and score the recipe and every baseline on each fold; choose the calibrator."""
    parts: dict[str, list[pd.DataFrame]] = {MODEL: []}
    parts.update({b.name: [] for b in baselines})
    for fold in folds:
        train, test = fold.split(frame)
        logger.info("fold %d: %d train rows, %d test rows", fold.number, len(train), len(test))
        parts[MODEL].append(frame_rows(test, fold, score_test(fit_models(recipe, train), test)))
        for baseline in baselines:
            scores = baseline.fit(train).score(test)
            parts[baseline.name].append(frame_rows(test, fold, scores))
    scored = {name: pd.concat(rows) for name, rows in parts.items()}
    probability, calibrator, briers = calibrate_folds(scored[MODEL], folds)
    scored[MODEL] = scored[MODEL].assign(overdue_probability=probability)
    return BacktestResult(folds, scored, calibrator, briers)


SEGMENTS = ("customer_industry", "customer_segment")
"""Frame columns the report breaks metrics down by (industry and size segment)."""


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready rows (NaN -> None)."""
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def segment_records(result: BacktestResult, frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per segment column: the model's and every baseline's last-fold metrics, side by side."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for segment in (s for s in SEGMENTS if s in frame):
        parts = []
        for name, rows in result.scored.items():
            last = rows.loc[rows["fold"] == result.last_fold.number]
            last = last.assign(**{segment: frame.loc[last.index, segment]})
            parts.append(segment_table(last, segment).assign(model=name))
        tables[segment] = records(pd.concat(parts, ignore_index=True))
    return tables


def build_report(result: BacktestResult, frame: pd.DataFrame) -> dict[str, Any]:
    """The evaluation report saved with the bundle: last fold, every fold, deciles, segments."""
    last = result.scored[MODEL]
    last = labelled(last.loc[last["fold"] == result.last_fold.number], OVERDUE)
    deciles = decile_table(last[OVERDUE].to_numpy(float), last["overdue_probability"].to_numpy())
    return {
        "folds": [fold.to_dict() for fold in result.folds],
        "last_fold": result.metrics(),
        "fold_metrics": records(result.fold_table()),
        "deciles": records(deciles),
        "segments": segment_records(result, frame),
        "calibration": {
            "method": result.calibrator.method,
            "held_out_brier": result.calibration_briers,
        },
    }
