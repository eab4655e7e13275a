"""The Today page: each owner role's open actions, one-click outcomes behind the CSRF token."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.batch_fixtures import TwoRuns, copy_of_audit
from tests.serving.conftest import AUTH, KEYS, Registry
from tests.serving.pages.conftest import csrf_of, pages_settings_for, sign_in


def test_today_lists_the_roles_actions_and_records_a_click(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    url = copy_of_audit(two_runs, tmp_path)
    settings = pages_settings_for(tmp_path, two_runs, registry, audit_db_url=url)
    written = pd.read_parquet(two_runs.second.paths.actions)
    role = str(written["owner_role"].iloc[0])
    mine = written[written["owner_role"] == role]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["collections"])[0] == 303
        page = client.get(f"/ui/today?owner_role={role}")
        assert page.status_code == 200
        assert f"{len(mine)} open actions for the {role.replace('_', ' ')} on" in page.text
        for action_id in mine["action_id"]:
            assert f'<tr id="{action_id}">' in page.text
        action_id = str(mine["action_id"].iloc[0])
        target = f"/ui/today/actions/{action_id}/outcome"
        forged = client.post(target, data={"csrf": "nope", "outcome": "paid", "owner_role": role})
        assert forged.status_code == 403
        assert "Invalid form token: reload the page." in forged.text
        csrf = csrf_of(page.text)
        missing = client.post(
            target, data={"csrf": csrf, "outcome": "promise_to_pay", "owner_role": role}
        )
        assert missing.status_code == 422
        assert "promise_date is required when outcome is promise_to_pay" in missing.text
        done = client.post(target, data={"csrf": csrf, "outcome": "contacted", "owner_role": role})
        assert (done.status_code, done.headers["location"]) == (
            303,
            f"/ui/today?owner_role={role}",
        )
        after = client.get(f"/ui/today?owner_role={role}")
        assert f'<tr id="{action_id}">' not in after.text
        action = client.get(f"/v1/collections/actions/{action_id}", headers=AUTH["collections"])
        assert [(o["outcome"], o["caller_role"]) for o in action.json()["outcomes"]] == [
            ("contacted", "collections")
        ]


def test_the_customer_page_shows_its_actions_and_promises(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    url = copy_of_audit(two_runs, tmp_path)
    settings = pages_settings_for(tmp_path, two_runs, registry, audit_db_url=url)
    action = pd.read_parquet(two_runs.second.paths.actions).iloc[0]
    by = (two_runs.second_as_of + pd.Timedelta(days=10)).date().isoformat()
    promise = {"outcome": "promise_to_pay", "promise_date": by, "promise_amount": 250.0}
    with TestClient(create_app(settings), follow_redirects=False) as client:
        recorded = client.post(
            f"/v1/collections/actions/{action['action_id']}/outcome",
            json=promise,
            headers=AUTH["collections"],
        )
        assert recorded.status_code == 200
        assert sign_in(client, KEYS["risk"])[0] == 303
        page = client.get(f"/ui/customers/{action['customer_id']}")
    assert page.status_code == 200
    table = page.text.split('<table id="actions">')[1].split("</table>")[0]
    assert f"<td>{action['invoice_id']}</td>" in table
    assert f"promise to pay by {by} (250) <small>(collections, " in table


def test_collections_works_from_today_and_may_not_open_the_credit_pages(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    url = copy_of_audit(two_runs, tmp_path)
    settings = pages_settings_for(tmp_path, two_runs, registry, audit_db_url=url)
    action = pd.read_parquet(two_runs.second.paths.actions).iloc[0]
    customer, role = str(action["customer_id"]), str(action["owner_role"])
    refused = (
        "The collections role may not open the credit pages (risk role needed): "
        "the day&#39;s collections actions are on the Today page."
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["collections"]) == (303, "/ui/today")
        today = client.get(f"/ui/today?owner_role={role}")
        assert today.status_code == 200
        assert f'<tr id="{action["action_id"]}">' in today.text
        assert f'href="/ui/customers/{customer}"' not in today.text
        assert 'href="/ui/deals"' not in today.text
        csrf = csrf_of(today.text)
        for path in ("/ui/", "/ui/deals", f"/ui/customers/{customer}", "/ui/cases",
                     "/ui/terms-review"):  # fmt: skip
            page = client.get(path)
            assert (path, page.status_code) == (path, 403)
            assert refused in page.text
            assert '<a href="/ui/today">Back to today\'s actions</a>' in page.text
        deal = {"csrf": csrf, "customer_id": customer, "amount": "1000", "payment_terms_days": "30"}
        assert client.post("/ui/deals", data=deal).status_code == 403
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["risk"]) == (303, "/ui/")
        today = client.get(f"/ui/today?owner_role={role}")
        assert f'href="/ui/customers/{customer}"' in today.text
