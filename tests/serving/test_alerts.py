"""Early warnings: tier worsened, contribution changes that add up to the score change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from serving.audit import AuditLog
from serving.batch.alerts import find_alerts, latest_alerts, record_alerts
from serving.policy import tier_rank
from serving.settings import get_serving_settings
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)

MODEL = {"model_name": "arsight", "model_version": "1", "policy_version": "p1"}


def _scores(as_of: str, tiers: list[str], p: list[float], base: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": pd.Timestamp(as_of),
            "risk_tier": tiers,
            "delinquency_probability": p,
            "base_delinquency_probability": base,
            "overdue_probability": [0.5, 0.5, 0.5],
        },
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )


def test_find_alerts_on_hand_built_runs() -> None:
    previous = _scores("2025-01-31", ["green", "red", "yellow"], [0.3125, 0.9, 0.3], [0.0625] * 3)
    current = _scores("2025-02-28", ["orange", "yellow", "yellow"], [0.5625, 0.4, 0.3], [0.125] * 3)
    late, rating = "customer_late_share_count_90d", "signal_credit_rating_latest"
    now = pd.DataFrame(
        {late: [0.5, 0.0, 0.0], rating: [-0.125, 0.0, 0.0], "f3": [0.0625, 0.0, 0.0]},
        index=current.index,
    )
    before = pd.DataFrame({late: [0.25, 0.0, 0.0], rating: [0.0, 0.0, 0.0]}, index=current.index)
    features = pd.DataFrame({late: [0.45, 0.1, 0.1], rating: [3.0, 7.0, 7.0]}, index=now.index)
    alerts = find_alerts(current, previous, now, before, features, top_k=2)
    assert alerts.to_dict("records") == [
        {
            "customer_id": "A",
            "as_of": pd.Timestamp("2025-02-28"),
            "previous_as_of": pd.Timestamp("2025-01-31"),
            "previous_risk_tier": "green",
            "risk_tier": "orange",
            "previous_delinquency_probability": 0.3125,
            "delinquency_probability": 0.5625,
            "probability_change": 0.25,
            "previous_overdue_probability": 0.5,
            "overdue_probability": 0.5,
            "base_probability_change": 0.0625,
            "other_features_change": 0.0625,
            "movers": json.dumps(
                [
                    {
                        "feature": late,
                        "label": "Late share, last 90 days",
                        "text": "Paid 45% of invoices late in the last 90 days",
                        "contribution_change": 0.25,
                    },
                    {
                        "feature": rating,
                        "label": "Credit rating",
                        "text": "Credit rating is 3",
                        "contribution_change": -0.125,
                    },
                ]
            ),
        }
    ]


def test_no_previous_run_means_no_alerts() -> None:
    current = _scores("2025-02-28", ["orange", "red", "green"], [0.6, 0.9, 0.1], [0.2] * 3)
    previous = pd.DataFrame({"risk_tier": pd.Series(dtype="str")})
    alerts = find_alerts(current, previous, pd.DataFrame(index=current.index), None)
    assert alerts.empty
    assert list(alerts.columns)[:2] == ["customer_id", "as_of"]


def test_run_alerts_are_worsened_tiers_whose_parts_add_up(two_runs: TwoRuns) -> None:
    alerts = pd.read_parquet(two_runs.second.paths.alerts)
    first = pd.read_parquet(two_runs.first.paths.scores).set_index("customer_id")
    second = pd.read_parquet(two_runs.second.paths.scores).set_index("customer_id")
    worse = [
        c
        for c in second.index
        if tier_rank(second.at[c, "risk_tier"]) > tier_rank(first.at[c, "risk_tier"])
    ]
    assert alerts["customer_id"].tolist() == worse
    assert len(alerts) == two_runs.second.alerts > 0
    for alert in alerts.itertuples(index=False):
        movers = json.loads(alert.movers)
        assert len(movers) == 3
        parts = sum(m["contribution_change"] for m in movers) + alert.other_features_change
        parts += alert.base_probability_change
        assert parts == pytest.approx(alert.probability_change, abs=1e-12)
        assert all(m["text"] and "_" not in m["text"] for m in movers)
        change = second.at[alert.customer_id, "delinquency_probability"]
        change -= first.at[alert.customer_id, "delinquency_probability"]
        assert alert.probability_change == pytest.approx(change, abs=1e-15)


def test_movers_are_the_largest_contribution_changes(two_runs: TwoRuns) -> None:
    alerts = pd.read_parquet(two_runs.second.paths.alerts)
    now = pd.read_parquet(two_runs.second.paths.contributions).set_index("customer_id")
    before = pd.read_parquet(two_runs.first.paths.contributions).set_index("customer_id")
    columns = now.columns.union(before.columns)
    alert = alerts.iloc[0]
    delta = now.reindex(columns=columns, fill_value=0.0).loc[alert["customer_id"]]
    delta -= before.reindex(columns=columns, fill_value=0.0).loc[alert["customer_id"]]
    expected = delta.abs().sort_values(ascending=False, kind="stable").index[:3].tolist()
    assert [m["feature"] for m in json.loads(alert["movers"])] == expected


def test_alerts_are_in_the_audit_database(two_runs: TwoRuns) -> None:
    audit = AuditLog(two_runs.settings.audit_url)
    latest = latest_alerts(audit.engine)
    audit.dispose()
    alerts = pd.read_parquet(two_runs.second.paths.alerts)
    assert sorted(latest["customer_id"]) == alerts["customer_id"].tolist()
    assert set(latest["as_of"]) == {two_runs.second_as_of.date()}
    ranks = latest["risk_tier"].map(tier_rank).to_numpy()
    assert (np.diff(ranks) <= 0).all()  # worst tier first


def test_recording_twice_replaces_the_day(two_runs: TwoRuns, tmp_path: Path) -> None:
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.db'}")
    audit.migrate()
    alerts = pd.read_parquet(two_runs.second.paths.alerts)
    day = two_runs.second_as_of.date()
    assert record_alerts(audit.engine, alerts, day, MODEL) == len(alerts)
    assert record_alerts(audit.engine, alerts, day, MODEL) == len(alerts)
    assert len(latest_alerts(audit.engine)) == len(alerts)
    audit.dispose()


def test_cli_lists_the_latest_alerts(two_runs: TwoRuns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSIGHT_HOME", str(two_runs.home))
    get_serving_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["alerts", "--limit", "5"], env={"COLUMNS": "200"})
    finally:
        get_serving_settings.cache_clear()
    assert result.exit_code == 0, result.output
    day = two_runs.second_as_of.date().isoformat()
    assert f"{two_runs.second.alerts} alert(s) as of {day}" in result.stdout
    audit = AuditLog(two_runs.settings.audit_url)
    first = latest_alerts(audit.engine).iloc[0]
    audit.dispose()
    assert first["customer_id"] in result.stdout


def test_cli_without_alerts_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSIGHT_HOME", str(tmp_path))
    get_serving_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["alerts"])
    finally:
        get_serving_settings.cache_clear()
    assert result.exit_code == 0
    assert result.stdout.strip() == "no alerts recorded yet: run `arsight score` first"


def test_a_previous_run_from_before_the_credit_model_gives_tier_changes() -> None:
    previous = _scores("2025-01-31", ["green", "red", "yellow"], [0.3, 0.9, 0.3], [0.1] * 3)
    previous = previous.drop(columns=["delinquency_probability", "base_delinquency_probability"])
    current = _scores("2025-02-28", ["orange", "yellow", "yellow"], [0.4, 0.4, 0.3], [0.1] * 3)
    alerts = find_alerts(current, previous, pd.DataFrame(index=current.index), None)
    assert alerts["customer_id"].tolist() == ["A"]
    row = alerts.iloc[0]
    assert (row["previous_risk_tier"], row["risk_tier"]) == ("green", "orange")
    assert np.isnan(row["previous_delinquency_probability"])
    assert row["delinquency_probability"] == 0.4
    assert row["movers"] == "[]"
