"""Challenger against champion side by side, on the same out-of-time rows.

The rows are the challenger's last backtest fold: its test snapshots were never seen by the
challenger fitted on that fold. The champion is judged on the same rows the way
`training.promotion` judges it (its recipe refitted on the fold's training rows with its own
feature list; scored as trained only without a stored recipe), and its raw scores go through
its own calibrator, so
both columns are probabilities a risk officer would have seen. The baselines' scores come from
the same backtest. Metrics are `training.evaluate`'s: the table is the promotion evidence,
calibration curves and lift the picture.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve

from models.bundle import ModelBundle
from training.backtest import MODEL, BacktestResult
from training.dataset import DSO, OVERDUE, Fold, labelled
from training.evaluate import decile_table, evaluate_scored
from training.promotion import champion_raw_scores

logger = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
CALIBRATION_BINS = 10
METRICS_SHOWN = (
    "auc",
    "pr_auc",
    "brier",
    "log_loss",
    "ece",
    "lift_top_decile",
    "capture_top_decile",
    "capture_top_3_deciles",
    "dso_mae",
    "dso_rmse",
    "late_share",
    "rows",
)


@dataclass(frozen=True)
class Comparison:
    """Scored rows of the last backtest fold per model, challenger first.

    Attributes:
        fold: the fold whose test rows every model is judged on.
        scored: model name -> rows with `overdue_30d`, `dso_30d`, `overdue_probability` and,
            where the model forecasts DSO, `dso_pred`.
        champion_note: how the champion was scored, or why it is absent.
    """

    fold: Fold
    scored: dict[str, pd.DataFrame]
    champion_note: str


def champion_rows(
    champion: ModelBundle, frame: pd.DataFrame, backtest: BacktestResult
) -> tuple[pd.DataFrame, str]:
    """The champion's calibrated probabilities on the last fold's labelled test rows."""
    _, test = backtest.last_fold.split(frame)
    test = labelled(test, OVERDUE)
    raw, how = champion_raw_scores(champion, frame, backtest)
    rows = test[[OVERDUE, DSO]].assign(overdue_probability=champion.calibrator.transform(raw))
    return rows, how


def compare_last_fold(
    backtest: BacktestResult,
    frame: pd.DataFrame,
    champion: ModelBundle | None,
    baselines: bool = True,
) -> Comparison:
    """Challenger, champion (if any) and, with `baselines`, every baseline on the same rows.

    Args:
        backtest: the challenger's backtest (`Development.backtest`).
        frame: the labelled snapshot frame the backtest ran on.
        champion: the current champion bundle, or None when there is none yet.
        baselines: include the backtest's baselines (customer_prior_late_share, logistic,
            persistence, ...).
    """
    last = backtest.last_fold.number
    fold_rows = {name: rows.loc[rows["fold"] == last] for name, rows in backtest.scored.items()}
    scored = {CHALLENGER: fold_rows[MODEL]}
    note = "no champion yet"
    if champion is not None:
        missing = sorted(set(champion.feature_names) - set(frame.columns))
        if missing:
            note = f"champion cannot be scored on today's features (missing {missing})"
        else:
            scored[CHAMPION], note = champion_rows(champion, frame, backtest)
    if baselines:
        scored |= {name: rows for name, rows in fold_rows.items() if name != MODEL}
    logger.info("comparison on fold %d: %s (%s)", last, sorted(scored), note)
    return Comparison(backtest.last_fold, scored, note)


def metrics_table(comparison: Comparison) -> pd.DataFrame:
    """Headline metrics, one column per model (rows: `METRICS_SHOWN`; NaN where not defined)."""
    columns = {name: evaluate_scored(rows) for name, rows in comparison.scored.items()}
    table = pd.DataFrame(columns, dtype="float64")
    return table.reindex(list(METRICS_SHOWN))


def calibration_table(comparison: Comparison, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Reliability curve per model: mean predicted probability against observed late share.

    Bins are quantiles of each model's probabilities (equal row counts), as in the training
    report's calibration plot. Models without probabilities (DSO-only baselines) are skipped.
    """
    parts = []
    for name, rows in comparison.scored.items():
        late = labelled(rows, OVERDUE)
        if "overdue_probability" not in late or late.empty:
            continue
        observed, predicted = calibration_curve(
            late[OVERDUE].to_numpy(float),
            late["overdue_probability"].to_numpy(float),
            n_bins=bins,
            strategy="quantile",
        )
        parts.append(pd.DataFrame({"model": name, "predicted": predicted, "observed": observed}))
    return pd.concat(parts, ignore_index=True)


def lift_table(comparison: Comparison) -> pd.DataFrame:
    """Lift and cumulative capture by risk decile per model (`training.evaluate.decile_table`)."""
    parts = []
    for name, rows in comparison.scored.items():
        late = labelled(rows, OVERDUE)
        if "overdue_probability" not in late or late.empty:
            continue
        y, p = late[OVERDUE].to_numpy(float), late["overdue_probability"].to_numpy(float)
        parts.append(decile_table(y, p).assign(model=name))
    table = pd.concat(parts, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def plot_calibration_curves(calibration: pd.DataFrame) -> Figure:
    """Reliability diagram of every model in `calibration_table` on one set of axes."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for name, curve in calibration.groupby("model", sort=False):
        ax.plot(curve["predicted"], curve["observed"], marker="o", label=str(name))
    ax.set(
        xlabel="predicted probability",
        ylabel="observed late share",
        title="Calibration, last backtest fold",
    )
    ax.legend()
    return fig


def plot_lift(lift: pd.DataFrame) -> Figure:
    """Lift by risk decile (1 = riskiest tenth) per model, with the no-skill line at 1."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    names = list(dict.fromkeys(lift["model"]))
    width = 0.8 / max(len(names), 1)
    for k, name in enumerate(names):
        rows = lift.loc[lift["model"] == name]
        ax.bar(rows["decile"] + (k - (len(names) - 1) / 2) * width, rows["lift"], width, label=name)
    ax.axhline(1.0, color="grey", linestyle="--")
    ax.set_xticks(np.arange(1, 11))
    ax.set(xlabel="risk decile (1 = riskiest)", ylabel="lift", title="Lift, last backtest fold")
    ax.legend()
    return fig
