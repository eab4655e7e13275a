"""Referral cases: a referred deal opens a case the CRM polls and a risk officer decides once."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.audit import AuditLog
from serving.settings import ServingSettings
from tests.serving.conftest import AUTH, KEYS
from tests.serving.pages.conftest import csrf_of, sign_in


@pytest.fixture
def referred(
    client: TestClient, store_frame: pd.DataFrame, scored_ids: list[str]
) -> dict[str, object]:
    """A deal over the credit limit of a customer not in a declining tier: referred."""
    scores = client.post(
        "/v1/scores", json={"customer_ids": scored_ids[:50]}, headers=AUTH["risk"]
    ).json()["scores"]
    frame = store_frame.set_index("customer_id") if "customer_id" in store_frame else store_frame
    for score in scores:
        limit = frame.loc[score["customer_id"], "customer_credit_limit"]
        if score["risk_tier"] != "red" and limit > 0:
            body = {"customer_id": score["customer_id"], "amount": float(limit) * 2,
                    "payment_terms_days": 30}  # fmt: skip
            answer = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"]).json()
            assert answer["decision"] == "refer"
            return answer
    raise AssertionError("no customer to refer in the tiny world")


def test_a_referred_deal_opens_a_case_the_crm_polls(
    client: TestClient, referred: dict[str, object]
) -> None:
    case_id = referred["case_id"]
    assert isinstance(case_id, str) and case_id.startswith("CASE-")
    polled = client.get(f"/v1/cases/{case_id}", headers=AUTH["crm"])
    assert polled.status_code == 200
    case = polled.json()
    assert (case["status"], case["decision"], case["customer_id"]) == (
        "open",
        None,
        referred["customer_id"],
    )
    assert case["deal"]["conditions"] == referred["conditions"]
    assert case["deal_request_id"] == referred["request_id"]
    assert case["risk_tier"] == referred["score"]["risk_tier"]  # type: ignore[index]
    listed = client.get("/v1/cases?status=open", headers=AUTH["risk"]).json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]
    assert client.get("/v1/cases?status=decided", headers=AUTH["risk"]).json()["cases"] == []


def test_a_case_is_decided_once_by_a_risk_officer_and_audited(
    client: TestClient, referred: dict[str, object], settings: ServingSettings
) -> None:
    url = f"/v1/cases/{referred['case_id']}/decision"
    decline = {"decision": "decline", "reason": "exposure twice the limit"}
    assert client.post(url, json=decline, headers=AUTH["crm"]).status_code == 403
    missing = client.post(
        url, json={"decision": "approve_with_conditions", "reason": "good"}, headers=AUTH["risk"]
    )
    assert (missing.status_code, missing.json()["detail"]) == (
        422,
        "body: Value error, conditions are required when decision is approve_with_conditions",
    )
    decided = client.post(url, json=decline, headers=AUTH["risk"])
    assert decided.status_code == 200
    body = decided.json()
    assert (body["status"], body["decision"], body["decided_by_role"]) == (
        "decided",
        "decline",
        "risk",
    )
    assert body["decision_request_id"] == decided.headers["X-Request-ID"]
    audit = AuditLog(settings.audit_url)
    assert audit.count(decided.headers["X-Request-ID"]) == 1
    audit.dispose()
    again = client.post(url, json=decline, headers=AUTH["risk"])
    assert again.status_code == 409
    assert again.json()["detail"].startswith(
        f"case {referred['case_id']} was decided already: decline by risk at "
    )
    unknown = client.get("/v1/cases/CASE-nope", headers=AUTH["crm"])
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown case 'CASE-nope'")
    assert client.get("/v1/cases").status_code == 401


def test_the_cases_page_lists_open_cases_and_records_a_decision(
    client: TestClient, referred: dict[str, object], settings: ServingSettings
) -> None:
    pages = settings.model_copy(update={"session_secret": None})
    with TestClient(create_app(pages), follow_redirects=False) as browser:
        assert sign_in(browser, KEYS["collections"])[0] == 303
        today = browser.get("/ui/today").text
        assert browser.get("/ui/cases").status_code == 403
        target = f"/ui/cases/{referred['case_id']}/decision"
        form = {"csrf": csrf_of(today), "decision": "approve", "reason": "long relationship"}
        refused = browser.post(target, data=form)
        assert refused.status_code == 403
        assert "The collections role may not open the credit pages" in refused.text
        browser.post("/ui/logout", data={"csrf": csrf_of(today)})
        assert sign_in(browser, KEYS["risk"])[0] == 303
        page = browser.get("/ui/cases").text
        assert f'<tr id="{referred["case_id"]}">' in page
        done = browser.post(target, data={**form, "csrf": csrf_of(page)})
        assert (done.status_code, done.headers["location"]) == (303, "/ui/cases")
        assert 'id="no-cases"' in browser.get("/ui/cases").text
    case = client.get(f"/v1/cases/{referred['case_id']}", headers=AUTH["crm"]).json()
    assert (case["decision"], case["decision_reason"]) == ("approve", "long relationship")


def test_a_referral_whose_case_cannot_be_opened_is_not_audited_either(
    client: TestClient, referred: dict[str, object], settings: ServingSettings
) -> None:
    audit = AuditLog(settings.audit_url)
    with audit.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE referral_cases RENAME TO referral_cases_gone"))
    body = {key: referred[key] for key in ("customer_id",)}
    body |= {"amount": referred["exposure"]["deal_amount"], "payment_terms_days": 30}  # type: ignore[index]
    answer = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    assert (answer.status_code, answer.json()["detail"]) == (
        503,
        "audit log unavailable: the decision was not recorded",
    )
    assert audit.count(answer.headers["X-Request-ID"]) == 0
    audit.dispose()
