"""The invoice payment model's development on a small synthetic world: folds, baselines,
censoring, CQR, report, card and bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.labels import LabelDefinition
from features.tables import Tables, data_end_of
from models.invoice_model import BUCKETS
from tests.conftest import tiny_world
from training.dataset import OVERDUE, labelled, rolling_origin_folds
from training.invoice import InvoiceDevelopment, develop_invoice, invoice_settings
from training.invoice_data import (
    BUCKET,
    DAYS,
    EXACT,
    build_invoice_rows,
    evaluation_rows,
    sample_rows,
    training_rows,
)
from training.model_card import cash_section, invoice_section
from training.settings import TrainingSettings
from training.tracking import report_metrics
from training.train import DEFAULT_PARAMS

SETTINGS = TrainingSettings(_env_file=None, fold_snapshots=2, max_rounds=20, trials=0)
DEFINITION = LabelDefinition()


@pytest.fixture(scope="module")
def world_and_frame() -> tuple[Tables, pd.DataFrame]:
    return tiny_world(customers=80, months=20, seed=4)


@pytest.fixture(scope="module")
def world(world_and_frame: tuple[Tables, pd.DataFrame]) -> Tables:
    return world_and_frame[0]


@pytest.fixture(scope="module")
def frame(world_and_frame: tuple[Tables, pd.DataFrame]) -> pd.DataFrame:
    return world_and_frame[1]


@pytest.fixture(scope="module")
def rows(world: Tables, frame: pd.DataFrame) -> pd.DataFrame:
    return build_invoice_rows(world, frame)


@pytest.fixture(scope="module")
def development(world: Tables, frame: pd.DataFrame, rows: pd.DataFrame) -> InvoiceDevelopment:
    end = data_end_of(world).normalize()
    folds = rolling_origin_folds(labelled(frame, OVERDUE)["as_of"], 3, 2, 30)  # the customers'
    params = {**DEFAULT_PARAMS, "num_threads": 1}
    return develop_invoice(rows, folds, params, invoice_settings(SETTINGS, DEFINITION, end))


def test_training_rows_are_the_decided_ones_with_censored_lower_bounds(rows: pd.DataFrame) -> None:
    k = pd.Timestamp("2024-06-30")
    train = training_rows(rows.loc[rows["as_of"] <= k], k, grace_days=0)
    assert (train["due_date"] <= k - pd.Timedelta(days=90)).all()
    censored = train["outcome_cleared_date"].isna() | (train["outcome_cleared_date"] > k)
    bound = (k - train.loc[censored, "due_date"]).dt.days + 1
    assert train.loc[censored, DAYS].tolist() == bound.astype(float).tolist()
    assert (train.loc[censored, BUCKET] == 4).all()
    exact = (train["outcome_cleared_date"] - train["due_date"]).dt.days
    assert train.loc[~censored, DAYS].tolist() == exact[~censored].astype(float).tolist()


def test_evaluation_leaves_out_only_undecided_censored_rows(rows: pd.DataFrame) -> None:
    end = pd.Timestamp("2024-06-30")
    scored = evaluation_rows(rows.loc[rows["as_of"] <= end], end, grace_days=0)
    open_at_end = scored["outcome_cleared_date"].isna() | (scored["outcome_cleared_date"] > end)
    assert scored.loc[~open_at_end, EXACT].notna().all()
    undecided = open_at_end & ((end - scored["due_date"]).dt.days < 90)
    assert scored.loc[undecided, BUCKET].isna().all()
    assert scored.loc[~undecided, BUCKET].notna().all()


def test_sample_is_deterministic_and_row_by_row(rows: pd.DataFrame) -> None:
    a = sample_rows(rows, len(rows) // 2, seed=1)
    b = sample_rows(rows.iloc[::-1], len(rows) // 2, seed=1)
    key = ["invoice_id", "as_of"]
    assert a[key].sort_values(key).values.tolist() == b[key].sort_values(key).values.tolist()
    assert 0.4 < len(a) / len(rows) < 0.6


def due_date_mae(rows: pd.DataFrame, world: Tables, report: dict[str, Any]) -> float:
    """The "paid on the due date" baseline's last-fold MAE, computed here from the ledger."""
    fold = report["folds"][-1]
    start, end = pd.Timestamp(fold["test_start"]), pd.Timestamp(fold["test_end"])
    test = rows.loc[(rows["as_of"] >= start) & (rows["as_of"] <= end)]
    cleared = test["outcome_cleared_date"]
    known = cleared.notna() & (cleared <= data_end_of(world))
    days = (cleared - test["due_date"]).dt.days[known].to_numpy(float)
    predicted = np.maximum(0.0, test.loc[known, "invoice_days_past_due"].to_numpy(float) + 1)
    return float(np.mean(np.abs(predicted - days)))


def test_backtest_reports_the_model_beside_the_baselines(
    development: InvoiceDevelopment, rows: pd.DataFrame, world: Tables
) -> None:
    report = development.report
    assert development.model is not None and not development.skipped
    last = report["last_fold"]
    assert list(last) == [
        "model",
        "customer_median_days_late",
        "paid_on_due_date",
        "lightgbm_untuned",
    ]
    for name in last:
        assert last[name]["days_rows"] == last["model"]["days_rows"]  # the same rows
    assert "bucket_log_loss" in last["model"] and "bucket_log_loss" not in last["paid_on_due_date"]
    assert "coverage_p10_p90" in last["model"]
    assert last["model"]["mae_days"] < last["paid_on_due_date"]["mae_days"]
    assert report["margins"]["mae_ratio_over_paid_on_due_date"] == pytest.approx(
        last["model"]["mae_days"] / last["paid_on_due_date"]["mae_days"]
    )
    assert report["interval"]["fold_adjustment_days"]["1"] == 0.0
    assert last["paid_on_due_date"]["mae_days"] == pytest.approx(due_date_mae(rows, world, report))
    assert set(report["segments"]) == {"customer_industry", "customer_segment"}
    metrics = report_metrics({"invoice": report})
    assert metrics["invoice_mae_days"] == last["model"]["mae_days"]


def test_the_final_model_predicts_buckets_summing_to_one_and_ordered_quantiles(
    development: InvoiceDevelopment, rows: pd.DataFrame
) -> None:
    model = development.model
    assert model is not None
    assert model.interval_adjustment_days == development.report["interval"]["adjustment_days"]
    out = model.predict(rows.iloc[:200])
    np.testing.assert_allclose(out[list(BUCKETS)].sum(axis=1), 1.0)
    assert (out["predicted_days_late_p10"] <= out["predicted_days_late_p50"]).all()
    assert (out["predicted_days_late_p50"] <= out["predicted_days_late_p90"]).all()


def test_the_model_card_shows_the_backtest_or_why_there_is_none(
    development: InvoiceDevelopment,
) -> None:
    card = "\n".join(invoice_section(CardBundle({"invoice": development.report})))  # type: ignore[arg-type]
    assert "## Collections: the invoice payment model" in card
    assert "| customer_median_days_late |" in card and "right" not in card
    skipped = develop_invoice(None, [], {}, invoice_settings(SETTINGS, DEFINITION, pd.Timestamp(0)))
    assert skipped.model is None and skipped.report == {"skipped": "no invoice rows"}
    card = "\n".join(invoice_section(CardBundle({"invoice": skipped.report})))  # type: ignore[arg-type]
    assert "- Not trained: no invoice rows." in card


@dataclass
class CardBundle:
    """What `invoice_section` reads of a bundle."""

    report: dict[str, Any]
    label_definition: dict[str, int] = field(default_factory=dict)


def test_the_cash_forecast_is_backtested_out_of_time_beside_both_baselines(
    development: InvoiceDevelopment, world: Tables
) -> None:
    cash = development.report["cash_forecast"]
    end = data_end_of(world).normalize()
    assert cash["dates"] and all(
        pd.Timestamp(d) + pd.Timedelta(days=91) <= end for d in cash["dates"]
    )
    assert set(cash["wape"]) == {"model", "due_date", "average_delay"}
    weekly = pd.DataFrame(cash["weekly"])
    assert len(weekly) == 13 * len(cash["dates"])
    early = weekly.loc[weekly["week"] <= 4]
    wape = (early["model"] - early["actual"]).abs().sum() / early["actual"].sum()
    assert cash["wape"]["model"]["weeks_1_4"] == pytest.approx(wape)
    assert cash["date_shocks"][cash["dates"][0]] == 0.0  # nothing earlier was known
    assert development.model is not None
    assert development.model.cash_band_shock == cash["shock"]
    card = "\n".join(cash_section(CardBundle({"invoice": development.report})))  # type: ignore[arg-type]
    assert "## Cash forecast (13 weeks)" in card and "| average_delay |" in card
    assert "cash_wape_weeks_1_4" in report_metrics({"invoice": development.report})
