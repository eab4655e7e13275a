"""The collections API on the real app: roles, listing, outcomes, exact errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.batch_fixtures import TwoRuns, copy_of_audit, two_runs_fixture, world_dir_fixture  # noqa: F401
from tests.serving.conftest import AUTH


@pytest.fixture
def client(two_runs: TwoRuns, tmp_path: Path) -> Iterator[TestClient]:
    """The app on a copy of the fixture runs' audit database (both nights' actions)."""
    url = copy_of_audit(two_runs, tmp_path)
    settings = two_runs.settings.model_copy(update={"audit_db_url": url})
    with TestClient(create_app(settings)) as client:
        yield client


def first_open(two_runs: TwoRuns) -> str:
    return str(pd.read_parquet(two_runs.second.paths.actions)["action_id"].iloc[0])


def test_the_days_actions_are_listed_for_risk_and_collections(
    client: TestClient, two_runs: TwoRuns
) -> None:
    written = pd.read_parquet(two_runs.second.paths.actions)
    for role in ("risk", "collections"):
        answer = client.get("/v1/collections/actions?status=open", headers=AUTH[role])
        assert answer.status_code == 200
        body = answer.json()
        assert body["date"] == two_runs.second_as_of.date().isoformat()
        assert sorted(a["action_id"] for a in body["actions"]) == sorted(written["action_id"])
    legal = client.get(
        "/v1/collections/actions?status=open&owner_role=legal", headers=AUTH["collections"]
    ).json()["actions"]
    assert {a["owner_role"] for a in legal} <= {"legal"}
    assert len(legal) == int((written["owner_role"] == "legal").sum())
    assert client.get("/v1/collections/actions", headers=AUTH["crm"]).status_code == 403


def test_an_outcome_is_recorded_with_the_caller_and_closes_the_action(
    client: TestClient, two_runs: TwoRuns
) -> None:
    action_id = first_open(two_runs)
    answer = client.post(
        f"/v1/collections/actions/{action_id}/outcome",
        json={"outcome": "no_answer"},
        headers=AUTH["collections"],
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "open"
    by = (two_runs.second_as_of + pd.Timedelta(days=30)).date().isoformat()
    answer = client.post(
        f"/v1/collections/actions/{action_id}/outcome",
        json={"outcome": "promise_to_pay", "promise_date": by, "promise_amount": 100.0},
        headers=AUTH["risk"],
    )
    body = answer.json()
    assert (body["status"], body["closed_reason"]) == ("done", "promise_to_pay")
    assert [(o["outcome"], o["caller_role"]) for o in body["outcomes"]] == [
        ("no_answer", "collections"),
        ("promise_to_pay", "risk"),
    ]
    assert body["outcomes"][1]["request_id"] == answer.headers["X-Request-ID"]
    again = client.get(f"/v1/collections/actions/{action_id}", headers=AUTH["risk"]).json()
    assert again == body


def test_outcome_errors_name_the_action_or_the_field(client: TestClient, two_runs: TwoRuns) -> None:
    unknown = client.post(
        "/v1/collections/actions/ACT-0000/outcome",
        json={"outcome": "paid"},
        headers=AUTH["risk"],
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown action 'ACT-0000'")
    action_id = first_open(two_runs)
    promise = client.post(
        f"/v1/collections/actions/{action_id}/outcome",
        json={"outcome": "promise_to_pay", "promise_amount": 100.0},
        headers=AUTH["risk"],
    )
    assert promise.status_code == 422
    assert promise.json()["detail"] == (
        "body: Value error, promise_date is required when outcome is promise_to_pay"
    )
    wrong = client.post(
        f"/v1/collections/actions/{action_id}/outcome",
        json={"outcome": "sent_flowers"},
        headers=AUTH["risk"],
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("body.outcome: Input should be 'contacted', ")
    crm = client.post(
        f"/v1/collections/actions/{action_id}/outcome",
        json={"outcome": "paid"},
        headers=AUTH["crm"],
    )
    assert crm.status_code == 403


def test_a_promise_outside_the_window_and_a_stray_escalation_are_refused(
    client: TestClient, two_runs: TwoRuns
) -> None:
    written = pd.read_parquet(two_runs.second.paths.actions)
    sent = str(written.loc[~written["stage"].str.startswith("review_"), "action_id"].iloc[0])
    day = two_runs.second_as_of
    answers = {
        when: client.post(
            f"/v1/collections/actions/{sent}/outcome",
            json={
                "outcome": "promise_to_pay",
                "promise_date": (day + pd.Timedelta(days=when)).date().isoformat(),
                "promise_amount": 100.0,
            },
            headers=AUTH["collections"],
        )
        for when in (-1, 31)
    }
    iso = day.date().isoformat()
    assert (answers[-1].status_code, answers[-1].json()["detail"]) == (
        422,
        f"promise_date {(day - pd.Timedelta(days=1)).date()} is before the collections day {iso}",
    )
    assert (answers[31].status_code, answers[31].json()["detail"]) == (
        422,
        f"promise_date {(day + pd.Timedelta(days=31)).date()} is after "
        f"{(day + pd.Timedelta(days=30)).date()}, 30 days from the collections day "
        "(dunning.max_promise_days): agree a payment plan instead",
    )
    stage = written.set_index("action_id").loc[sent, "stage"]
    escalate = client.post(
        f"/v1/collections/actions/{sent}/outcome",
        json={"outcome": "escalate"},
        headers=AUTH["collections"],
    )
    assert (escalate.status_code, escalate.json()["detail"]) == (
        422,
        f"escalate is recorded on a review action; action {sent} is stage {stage}, "
        "which goes out without review",
    )
    after = client.get(f"/v1/collections/actions/{sent}", headers=AUTH["risk"]).json()
    assert (after["status"], after["outcomes"]) == ("open", [])
