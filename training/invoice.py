"""The invoice payment model: fitted, backtested on the customer folds, conformalised, final.

Four LightGBM boosters on the invoice rows of `training.invoice_data`: a multiclass
classifier over the delay buckets and quantile regressors of days late at 0.1, 0.5 and 0.9.
They share the customer models' tuned parameters and get their own rounds by early stopping on
a split carved out of the first fold's training rows (as the delinquency classifier does).

Backtest: the SAME folds as the customer models (`training.dataset.rolling_origin_folds` of
the overdue label); fold k trains on invoice rows at snapshots <= its train_end, labelled as
known at its first test snapshot K (`training_rows`), and is judged on the rows at its test
snapshots as known at the data end (`evaluation_rows`). Beside it, on the same rows:
`customer_median_days_late` (the customer's median days late over the last year, as of t;
the training rows' median where it has none), `paid_on_due_date` (0 days late) and
`lightgbm_untuned` (LightGBM defaults, learning rate 0.05, 200 rounds). Every prediction of
every model is floored at the known bound (an invoice open at t is at least t + 1 - due late).

Cash forecast: the model's scored test rows are also the 13-week cash forecast's backtest
(training/cash_backtest.py), whose out-of-time band shock the final model keeps.

Interval: CQR as for the DSO interval (training/intervals.py): fold k's adjustment is fitted
on the earlier folds' held-out rows whose days late were known at fold k's cut-off (fold 1:
none, 0.0); the bundle's on every fold's held-out rows with known days late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import categorical_names
from features.invoice_labels import DECISION_DAYS
from features.labels import LabelDefinition
from models.encoding import CategoricalEncoder
from models.interval import sorted_interval
from models.invoice_model import (
    BUCKETS,
    DAYS_COLUMNS,
    DAYS_PAST_DUE,
    InvoiceModel,
    days_late_quantiles,
    known_floor,
)
from training.cash_backtest import MEAN_DELAY, cash_backtest
from training.dataset import Fold, rolling_origin_folds
from training.errors import DatasetError
from training.intervals import conformal_quantile, conformity_scores
from training.invoice_data import (
    BUCKET,
    DAYS,
    EXACT,
    OUTCOME,
    evaluation_rows,
    invoice_features_of,
    training_rows,
)
from training.invoice_eval import invoice_report
from training.settings import TrainingSettings
from training.train import BASE_PARAMS, DEFAULT_PARAMS, Matrix, fit_booster

logger = logging.getLogger(__name__)

MODEL = "model"
UNTUNED_ROUNDS = 200
MAX_ROUNDS = 500
"""Cap on the invoice boosters' rounds (early stopping picks fewer): the multiclass booster
fits one tree per bucket a round."""
MIN_TRAINING_ROWS = 50
TASKS: dict[str, dict[str, Any]] = {
    "buckets": {"objective": "multiclass", "num_class": len(BUCKETS), "metric": "multi_logloss"},
    "days_p10": {"objective": "quantile", "alpha": 0.1, "metric": "quantile"},
    "days_p50": {"objective": "quantile", "alpha": 0.5, "metric": "quantile"},
    "days_p90": {"objective": "quantile", "alpha": 0.9, "metric": "quantile"},
}
VALID_LAG_DAYS = DECISION_DAYS + 60
"""The tuning split's validation snapshots end this many days before the first fold's cut-off."""
RAW = ("raw_p10", "raw_p50", "raw_p90")
"""Scored columns: the quantile models' raw forecasts (what the CQR adjustment is fitted on)."""


@dataclass
class InvoiceDevelopment:
    """The invoice model, its report, and the reason there is none ("" when fitted)."""

    model: InvoiceModel | None
    report: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""


@dataclass(frozen=True)
class InvoiceSettings:
    """What the invoice development needs from the training settings and the definition."""

    seed: int
    max_rounds: int
    fold_snapshots: int
    gap: int
    grace_days: int
    data_end: pd.Timestamp


def fit_invoice_model(
    params: dict[str, Any],
    rounds: dict[str, int],
    train: pd.DataFrame,
    seed: int,
    grace_days: int,
    valid: pd.DataFrame | None = None,
) -> InvoiceModel:
    """The four boosters on labelled rows (`training_rows`); with `valid`, early stopping."""
    features = invoice_features_of(train)
    categorical = [c for c in categorical_names() if c in features]
    encoder = CategoricalEncoder(categorical).fit(train)

    def data(rows: pd.DataFrame, target: str) -> Matrix:
        return Matrix(encoder.transform(rows[features]), rows[target].to_numpy(float))

    boosters = {
        task: fit_booster(
            {**BASE_PARAMS, **task_params, **params, "seed": seed},
            data(train, BUCKET if task == "buckets" else DAYS),
            None if valid is None else data(valid, BUCKET if task == "buckets" else DAYS),
            num_boost_round=rounds[task],
            categorical=categorical,
        )
        for task, task_params in TASKS.items()
    }
    recipe = {**params, "rounds": rounds, "seed": seed}
    return InvoiceModel(
        buckets=boosters["buckets"],
        days_p10=boosters["days_p10"],
        days_p50=boosters["days_p50"],
        days_p90=boosters["days_p90"],
        encoder=encoder,
        feature_names=features,
        categorical_features=categorical,
        grace_days=grace_days,
        params=recipe,
    )


def predict_raw(model: InvoiceModel, rows: pd.DataFrame) -> pd.DataFrame:
    """Bucket probabilities (floored) and the raw quantile forecasts, before any CQR."""
    x = model.matrix(rows)
    out = model.predict(rows)[list(BUCKETS)]
    raw = {
        name: np.asarray(booster.predict(x))
        for name, booster in zip(RAW, (model.days_p10, model.days_p50, model.days_p90), strict=True)
    }
    return out.assign(**raw)


def rule_predictions(rows: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """A rule baseline's days late (floored like the model's); no buckets, no interval."""
    floor = known_floor(rows[DAYS_PAST_DUE].to_numpy(float))
    return pd.DataFrame({RAW[1]: np.maximum(days, floor)}, index=rows.index)


def score_fold(
    rows: pd.DataFrame,
    fold: Fold,
    params: dict[str, Any],
    rounds: dict[str, int],
    settings: InvoiceSettings,
) -> dict[str, pd.DataFrame]:
    """The model and every baseline on one fold's test rows (module docstring)."""
    grace = settings.grace_days
    train, test = fold.split(rows)
    train = training_rows(train, fold.test_start, grace)
    test = evaluation_rows(test, settings.data_end, grace)
    if len(train) < MIN_TRAINING_ROWS:
        raise DatasetError(f"fold {fold.number}: {len(train)} decided invoice rows to train on")
    tuned = fit_invoice_model(params, rounds, train, settings.seed, grace)
    untuned_params = {**DEFAULT_PARAMS, "num_threads": params.get("num_threads", 1)}
    untuned = fit_invoice_model(
        untuned_params, dict.fromkeys(TASKS, UNTUNED_ROUNDS), train, settings.seed, grace
    )
    median = float(np.median(train[DAYS]))
    history = test["customer_days_late_median_365d"].fillna(median).to_numpy(float)
    predictions = {
        MODEL: predict_raw(tuned, test),
        "customer_median_days_late": rule_predictions(test, history),
        "paid_on_due_date": rule_predictions(test, np.zeros(len(test))),
        "lightgbm_untuned": predict_raw(untuned, test),
    }
    context = test[["invoice_id", "customer_id", "as_of", "due_date", OUTCOME, EXACT, BUCKET]]
    extra = ("customer_industry", "customer_segment", "open_amount", MEAN_DELAY)
    context = context.join(test[[c for c in extra if c in test]])
    context = context.assign(fold=fold.number, floor=known_floor(test[DAYS_PAST_DUE].to_numpy()))
    return {name: context.join(scored) for name, scored in predictions.items()}


def fold_adjustments(model_rows: pd.DataFrame, folds: list[Fold]) -> dict[int, float]:
    """Each fold's CQR adjustment from earlier folds' rows known at its cut-off; 0 for fold 1."""
    result = {}
    for fold in folds:
        earlier = model_rows.loc[
            (model_rows["fold"] < fold.number)
            & model_rows[EXACT].notna()
            & (model_rows[OUTCOME] <= fold.test_start)
        ]
        result[fold.number] = adjustment_of(earlier) if len(earlier) else 0.0
    return result


def adjustment_of(rows: pd.DataFrame) -> float:
    """The CQR adjustment fitted on scored rows with known days late."""
    known = rows.loc[rows[EXACT].notna()]
    low, high = sorted_interval(known[RAW[0]].to_numpy(float), known[RAW[2]].to_numpy(float))
    return conformal_quantile(conformity_scores(low, high, known[EXACT].to_numpy(float)))


def with_interval(scored: pd.DataFrame, adjustments: dict[int, float]) -> pd.DataFrame:
    """The final p10/p50/p90 of scored rows, each fold with its own adjustment."""
    if RAW[0] not in scored:
        return scored.assign(**{DAYS_COLUMNS[1]: scored[RAW[1]]})
    q = scored["fold"].map(adjustments).to_numpy(float)
    floor = scored["floor"].to_numpy(float)
    p10, p50, p90 = days_late_quantiles(
        scored[RAW[0]].to_numpy(float), scored[RAW[1]].to_numpy(float),
        scored[RAW[2]].to_numpy(float), q, floor,
    )  # fmt: skip
    return scored.assign(**dict(zip(DAYS_COLUMNS, (p10, p50, p90), strict=True)))


def invoice_rounds(
    rows: pd.DataFrame, first: Fold, params: dict[str, Any], settings: InvoiceSettings
) -> dict[str, int]:
    """Rounds by early stopping on a split carved out of the first fold's training rows.

    Its validation rows are judged as known at the first fold's cut-off K, so they must be
    decided by then: the split's block ends `VALID_LAG_DAYS` before K (an invoice open at a
    month end is mostly due within 60 days of it).
    """
    grace = settings.grace_days
    train_all, _ = first.split(rows)
    lag = pd.Timedelta(days=VALID_LAG_DAYS)
    train_all = train_all.loc[train_all["as_of"] <= first.test_start - lag]
    split = rolling_origin_folds(train_all["as_of"], 1, settings.fold_snapshots, settings.gap)[0]
    train, valid = split.split(train_all)
    train = training_rows(train, split.test_start, grace)
    valid = training_rows(valid, first.test_start, grace)
    if len(train) < MIN_TRAINING_ROWS or len(valid) < MIN_TRAINING_ROWS:
        raise DatasetError(f"tuning split: {len(train)} / {len(valid)} decided invoice rows")
    rounds = dict.fromkeys(TASKS, min(settings.max_rounds, MAX_ROUNDS))
    model = fit_invoice_model(params, rounds, train, settings.seed, grace, valid)
    boosters = (model.buckets, model.days_p10, model.days_p50, model.days_p90)
    return {task: max(b.best_iteration, 1) for task, b in zip(TASKS, boosters, strict=True)}


def develop_invoice(
    rows: pd.DataFrame | None,
    folds: list[Fold],
    params: dict[str, Any],
    settings: InvoiceSettings,
) -> InvoiceDevelopment:
    """Rounds, backtest, CQR, final fit and report of the invoice model (or why there is none)."""
    if rows is None or rows.empty:
        return InvoiceDevelopment(None, {"skipped": "no invoice rows"}, "no invoice rows")
    try:
        rounds = invoice_rounds(rows, folds[0], params, settings)
        parts = [score_fold(rows, fold, params, rounds, settings) for fold in folds]
    except DatasetError as exc:
        logger.warning("no invoice model: %s", exc)
        return InvoiceDevelopment(None, {"skipped": str(exc)}, str(exc))
    scored = {name: pd.concat([p[name] for p in parts]) for name in parts[0]}
    adjustments = fold_adjustments(scored[MODEL], folds)
    final_q = adjustment_of(scored[MODEL])
    scored = {
        name: with_interval(s, adjustments if name == MODEL else dict.fromkeys(adjustments, 0.0))
        for name, s in scored.items()
    }
    final_rows = training_rows(rows, settings.data_end, settings.grace_days)
    model = fit_invoice_model(params, rounds, final_rows, settings.seed, settings.grace_days)
    model.interval_adjustment_days = final_q
    report = invoice_report(scored, folds, adjustments, final_q, len(rows), len(final_rows))
    report["cash_forecast"] = cash_backtest(scored[MODEL], settings.data_end, settings.grace_days)
    model.cash_band_shock = float(report["cash_forecast"].get("shock", 0.0))
    return InvoiceDevelopment(model, report)


def invoice_settings(
    training: TrainingSettings, definition: LabelDefinition, data_end: pd.Timestamp
) -> InvoiceSettings:
    """`InvoiceSettings` from `TrainingSettings` and the label definition."""
    return InvoiceSettings(
        seed=training.seed,
        max_rounds=training.max_rounds,
        fold_snapshots=training.fold_snapshots,
        gap=definition.horizon_days + definition.grace_days,
        grace_days=definition.grace_days,
        data_end=pd.Timestamp(data_end).normalize(),
    )
