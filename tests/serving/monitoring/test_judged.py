"""Predictions checked against what happened: exact figures, label delay, model alerts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.labels import build_labels
from features.tables import Tables
from serving.batch.monitoring.judge import cash_figures, invoice_figures
from serving.batch.monitoring.references import Check
from serving.batch.monitoring.step import run_judged
from serving.batch.runs import find_runs
from serving.notifications.outbox import model_alert_events
from tests.features.builders import invoice, make_tables
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401

T = pd.Timestamp("2026-03-31")


def test_the_night_judges_the_run_of_30_days_before_on_the_outcomes_known(
    two_runs: TwoRuns, world: Tables
) -> None:
    judged = pd.read_parquet(two_runs.second.paths.judged).set_index("figure")
    assert set(judged["lookback_days"]) == {30}  # no run 90 days back
    assert set(judged["judged_as_of"]) == {two_runs.first_as_of}
    scores = pd.read_parquet(two_runs.first.paths.scores)
    labels = build_labels(world, [two_runs.first_as_of], data_end=two_runs.second_as_of)
    known = scores[scores["scored"]].merge(labels, on="customer_id")
    known = known[known["overdue_30d"].notna()]
    assert judged.loc["overdue_outcomes", "value"] == len(known)
    assert judged.loc["overdue_auc", "value"] == pytest.approx(
        roc_auc_score(known["overdue_30d"], known["overdue_probability"]), abs=1e-12
    )
    assert "delinquency_auc" not in judged.index  # 90-day outcomes are not known after 30 days
    assert judged.loc["overdue_auc", "reference"] == 0.75  # the tiny bundle's card
    assert not judged["alert"].any()
    assert pd.read_parquet(two_runs.first.paths.judged).empty  # nothing 30 days before it


def test_the_run_judged_is_the_latest_in_its_window(two_runs: TwoRuns) -> None:
    runs = find_runs(two_runs.home / "runs")
    assert run_judged(runs, two_runs.second_as_of, 30).as_of == "2024-03-01"  # type: ignore[union-attr]
    assert run_judged(runs, two_runs.second_as_of, 90) is None
    assert run_judged(runs, two_runs.second_as_of, 29).as_of == "2024-03-01"  # type: ignore[union-attr]


def prediction(i: int, due: str, p10: float, p50: float, p90: float) -> dict[str, object]:
    return {
        "invoice_id": f"I{i}",
        "customer_id": "A",
        "due_date": pd.Timestamp(due),
        "open_amount": 100.0,
        "predicted_days_late_p10": p10,
        "predicted_days_late_p50": p50,
        "predicted_days_late_p90": p90,
    }


def test_invoice_figures_count_only_the_decided_invoices() -> None:
    # 30 paid 4 days late (p50 2: error 2, inside 0..10), 10 still open 20 days past due with
    # p90 10 (known outside the band), 5 open 5 days past due (still possible inside: left out)
    rows = [prediction(i, "2026-03-01", 0, 2, 10) for i in range(30)]
    rows += [prediction(i, "2026-03-11", 0, 2, 10) for i in range(30, 40)]
    rows += [prediction(i, "2026-03-26", 0, 2, 10) for i in range(40, 45)]
    ledger = [
        invoice(f"I{i}", "A", "2026-02-01", "2026-03-01", 100.0, "2026-03-05") for i in range(30)
    ]
    ledger += [invoice(f"I{i}", "A", "2026-02-11", "2026-03-11", 100.0) for i in range(30, 40)]
    ledger += [invoice(f"I{i}", "A", "2026-02-26", "2026-03-26", 100.0) for i in range(40, 45)]
    tables = make_tables([{"customer_id": "A"}], ledger)
    figures = invoice_figures(pd.DataFrame(rows), tables, T)
    assert figures == {
        "invoice_mae_days": 2.0,
        "invoice_outcomes": 30.0,
        "invoice_coverage_p10_p90": 30 / 40,
    }


def test_cash_figures_use_only_the_weeks_passed_and_the_invoices_open_then() -> None:
    forecast = pd.DataFrame(
        {
            "week_start": pd.to_datetime(["2026-03-17", "2026-03-24", "2026-03-31"]),
            "expected_receipts": [100.0, 50.0, 999.0],
            "p10": [80.0, 0.0, 0.0],
            "p90": [120.0, 40.0, 2000.0],
        }
    )
    open_then = pd.DataFrame({"invoice_id": ["I1", "I2"], "open_amount": [100.0, 100.0]})
    ledger = [
        invoice("I1", "A", "2026-02-01", "2026-03-15", 100.0, "2026-03-18"),
        invoice("I2", "A", "2026-02-01", "2026-03-15", 100.0, "2026-03-25"),
        invoice("I3", "A", "2026-03-17", "2026-03-20", 100.0, "2026-03-19"),  # issued later
    ]
    payments = [
        {"payment_id": "P1", "invoice_id": "I1", "payment_date": "2026-03-18", "amount": 100.0},
        {"payment_id": "P2", "invoice_id": "I2", "payment_date": "2026-03-25", "amount": 60.0},
        {"payment_id": "P3", "invoice_id": "I3", "payment_date": "2026-03-19", "amount": 100.0},
    ]
    tables = make_tables([{"customer_id": "A"}], ledger, payments)
    figures = cash_figures(forecast, open_then, tables, T)
    # weeks 1-2 have passed by 2026-03-31 (week 3 ends on 2026-04-06): actual 100, 60
    assert figures == {
        "cash_wape": (0 + 10) / 160,
        "cash_band_coverage": 0.5,
        "cash_weeks": 2.0,
    }


def test_a_model_alert_is_raised_past_the_margin_and_pushed_once() -> None:
    auc = Check(reference=0.80, margin=0.05, higher_is_worse=False)
    assert (auc.alert(0.76), auc.alert(0.7499)) == (False, True)
    mae = Check(reference=5.0, margin=3.0, higher_is_worse=True)
    assert (mae.alert(8.0), mae.alert(8.01)) == (False, True)
    assert not Check(reference=None, margin=0.05, higher_is_worse=False).alert(0.0)
    judged = pd.DataFrame(
        {
            "lookback_days": [30, 30],
            "judged_as_of": pd.to_datetime(["2026-03-01", "2026-03-01"]),
            "figure": ["overdue_auc", "invoice_mae_days"],
            "value": [0.70, 6.0],
            "reference": [0.80, 5.0],
            "margin": [0.05, 3.0],
            "alert": [True, False],
        }
    )
    events = model_alert_events(judged, date(2026, 3, 31))
    assert [e["event_id"] for e in events] == ["model_alert:2026-03-31:30d:overdue_auc"]
    assert events[0]["payload"] == {
        "lookback_days": 30,
        "judged_as_of": "2026-03-01",
        "figure": "overdue_auc",
        "value": 0.70,
        "reference": 0.80,
        "margin": 0.05,
        "alert": True,
    }
