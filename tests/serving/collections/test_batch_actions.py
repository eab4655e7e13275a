"""The nightly job writes the day's actions: every open action, on an invoice open that day."""

from __future__ import annotations

import json

import pandas as pd

from serving.audit import AuditLog
from serving.collections.generate import ACTIONS_FILE_COLUMNS
from serving.collections.outcomes import list_actions
from serving.policy import load_policy
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401

STAGES = {s.name for s in load_policy().dunning.stages}


def test_the_job_writes_the_open_actions_of_the_day(two_runs: TwoRuns) -> None:
    paths = two_runs.second.paths
    actions = pd.read_parquet(paths.actions)
    invoices = pd.read_parquet(paths.invoices).set_index("invoice_id")
    assert tuple(actions.columns) == ACTIONS_FILE_COLUMNS
    assert len(actions) > 0
    assert actions["action_id"].is_unique
    assert actions["invoice_id"].isin(invoices.index).all()
    assert set(actions["stage"].str.removeprefix("review_")) <= STAGES
    due = pd.Timestamp(two_runs.second_as_of) - actions["due_date"]
    assert (actions["days_past_due"] == due.dt.days).all()
    pd.testing.assert_series_equal(
        actions["open_amount"],
        actions["invoice_id"].map(invoices["open_amount"]).rename("open_amount"),
    )
    assert all(
        json.loads(r)[0] in {"stage_reached", "broken_promise"} for r in actions["rules_fired"]
    )


def test_the_store_holds_each_action_once_across_both_nights(two_runs: TwoRuns) -> None:
    audit = AuditLog(two_runs.settings.audit_url)
    stored = list_actions(audit.engine)
    audit.dispose()
    assert len({a.action_id for a in stored}) == len(stored)
    open_now = {a.action_id for a in stored if a.status == "open"}
    written = set(pd.read_parquet(two_runs.second.paths.actions)["action_id"])
    assert written == open_now
    planned_first = {a.action_id for a in stored if a.as_of == two_runs.first_as_of.date()}
    assert set(pd.read_parquet(two_runs.first.paths.actions)["action_id"]) <= planned_first | {
        a.action_id for a in stored if a.as_of < two_runs.first_as_of.date()
    }
