"""The pages through the app (TestClient): sign-in, portfolio, customer, deal, errors."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from serving.app import create_app
from serving.pages.session import SESSION_COOKIE
from tests.serving.batch_fixtures import TwoRuns
from tests.serving.conftest import AUTH, KEYS, Registry
from tests.serving.pages.conftest import csrf_of, pages_settings_for, sign_in


def test_pages_redirect_to_sign_in_and_back(pages_client: TestClient) -> None:
    response = pages_client.get("/ui/customers/C1?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2Fcustomers%2FC1%3Fx%3D1"


def test_sign_in_sets_a_strict_http_only_cookie(pages_client: TestClient) -> None:
    form = pages_client.get("/ui/login")
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    response = pages_client.post(
        "/ui/login", data={"api_key": KEYS["risk"], "token": token.group(1), "next": "/ui/deals"}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/ui/deals")
    cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookie) == 1
    parts = {p.strip().split("=")[0].lower() for p in cookie[0].split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= parts
    assert "SameSite=strict" in cookie[0] and "Path=/ui" in cookie[0]
    assert KEYS["risk"] not in cookie[0]


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        (
            KEYS["crm"],
            403,
            "This key may not open the risk pages (risk or collections role needed).",
        ),
        ("not-a-key", 401, "Invalid API key."),
    ],
)
def test_sign_in_refuses_other_roles_and_wrong_keys(
    pages_client: TestClient, key: str, status: int, message: str
) -> None:
    got_status, page = sign_in(pages_client, key)
    assert got_status == status
    assert f'<p class="error" id="error">{message}</p>' in page
    assert SESSION_COOKIE not in pages_client.cookies


def test_sign_in_without_the_form_token_is_refused(pages_client: TestClient) -> None:
    response = pages_client.post("/ui/login", data={"api_key": KEYS["risk"], "token": "forged"})
    assert response.status_code == 400
    assert "The sign-in form expired: please sign in again." in response.text


def test_next_cannot_leave_the_site(pages_client: TestClient) -> None:
    assert sign_in(pages_client, KEYS["risk"], "//evil.example/ui") == (303, "/ui/")


def test_portfolio_shows_the_latest_run_against_the_previous(
    risk_client: TestClient, two_runs: TwoRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("serving.pages.portfolio.ALERTS_SHOWN", 10)  # fewer than the alerts
    page = risk_client.get("/ui/")
    assert page.status_code == 200
    second, first = two_runs.second, two_runs.first
    assert f"as of <strong>{two_runs.second_as_of.date().isoformat()}</strong>" in page.text
    for tier, count in second.tier_counts.items():
        change = count - first.tier_counts[tier]
        shown = f"{change:+,.0f}" if change else "0"
        row = (
            f'<td><span class="tier tier-{tier}">{tier}</span></td>\n'
            f'            <td class="num">{count}</td><td class="num">{shown}</td>'
        )
        assert row in page.text
    scores = pd.read_parquet(second.paths.scores)
    expected = f"{scores['expected_overdue_amount'].sum():,.0f}"
    assert f'<strong id="expected-overdue">{expected}</strong>' in page.text
    assert page.text.count('aria-label="Portfolio DSO by month end (days)"') == 1
    alerts = pd.read_parquet(second.paths.alerts)
    assert len(alerts) > 10
    assert (
        f"<p>{len(alerts)} customers moved to a worse tier since the previous run; the 10 most"
        in page.text
    )
    rank = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
    worst = alerts.assign(r=alerts["risk_tier"].map(rank)).sort_values(
        ["r", "probability_change", "customer_id"], ascending=[False, False, True]
    )
    table = page.text.split('<table id="alerts">')[1].split("</table>")[0]
    shown = re.findall(r'<td><a href="/ui/customers/[^"]+">([^<]+)</a></td>', table)
    assert shown == worst["customer_id"].head(10).tolist()


def _worklist_ids(page: str) -> list[str]:
    table = page.split('<table id="worklist">')[1].split("</table>")[0]
    return [
        html.unescape(m)
        for m in re.findall(r'<td><a href="/ui/customers/[^"]+">([^<]+)</a>', table)
    ]


def test_worklist_sorts_by_any_column_and_links_customers(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    worklist = pd.read_parquet(two_runs.second.paths.worklist)
    by_rank = _worklist_ids(risk_client.get("/ui/").text)
    assert by_rank == worklist["customer_id"].head(100).tolist()
    page = risk_client.get("/ui/?sort=probability&order=desc").text
    expected = worklist.sort_values(
        ["overdue_probability", "rank"], ascending=[False, True], kind="stable"
    )["customer_id"].head(100)
    assert _worklist_ids(page) == expected.tolist()
    assert 'href="/ui/?sort=probability&amp;order=asc">late probability ▼' in page
    assert _worklist_ids(risk_client.get("/ui/?sort=bogus").text) == by_rank


def test_portfolio_without_runs_or_data_says_so(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    settings = pages_settings_for(tmp_path, two_runs, registry, runs_dir="none", data_dir="nodata")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["risk"])[0] == 303
        page = client.get("/ui/")
    assert page.status_code == 200
    assert f"No scoring run found in {tmp_path / 'none'}: run `arsight score" in page.text
    assert f"No portfolio DSO trend: data directory {tmp_path / 'nodata'} not found" in page.text
    assert 'id="worklist"' not in page.text


def test_customer_page_shows_the_api_answer(risk_client: TestClient, two_runs: TwoRuns) -> None:
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[0])
    api = risk_client.get(f"/v1/customers/{customer_id}", headers=AUTH["risk"]).json()
    latest = api["latest"]
    page = risk_client.get(f"/ui/customers/{customer_id}")
    assert page.status_code == 200
    text = page.text
    assert f'<dd id="delinquency">{latest["delinquency_probability"]:.1%}</dd>' in text
    assert f'<dd id="probability">{latest["overdue_probability"]:.1%}</dd>' in text
    assert f'id="tier" class="tier tier-{latest["risk_tier"]}">{latest["risk_tier"]}</span>' in text
    assert f'<dd id="dso">{latest["dso_30d"]:,.1f} days' in text
    assert f"(10-90%: {latest['dso_30d_p10']:,.1f} days – {latest['dso_30d_p90']:,.1f} days" in text
    for reason in latest["reasons"]["delinquency"] + latest["reasons"]["overdue"]:
        assert f"<li>{escape(reason['text'])} <small>" in text
    for label in (
        "Why: contributions to the credit risk (30+ days behind within 90 days)",
        "DSO today and in 30 days, with the 10-90% interval",
        "Open amount by days past due",
    ):
        assert f'aria-label="{label}"' in text
    # The API answer above was a score served, so it is audited and is the page's history.
    assert 'id="no-history"' not in text
    history = text.split('<table id="history">')[1].split("</table>")[0]
    rows = history.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1
    assert "<td>customers (risk)</td>" in rows


def test_customer_history_comes_from_the_audit_log(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[1])
    body = {"customer_id": customer_id, "amount": 1000.0, "payment_terms_days": 30}
    for _ in range(2):
        risk_client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    page = risk_client.get(f"/ui/customers/{customer_id}").text
    table = page.split('<table id="history">')[1].split("</table>")[0]
    assert table.count("<td>deals.assess (crm)</td>") == 2
    title = "Credit risk (30+ days past due within 90 days) served (colour: tier)"
    assert f'aria-label="{title}"' in page


def test_unknown_customer_is_a_404_page_with_the_api_message_escaped(
    risk_client: TestClient,
) -> None:
    response = risk_client.get("/ui/customers/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert "<script>" not in response.text
    assert (
        "unknown customer &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;: not in the online "
        "store as of 2024-03-31 and never scored"
    ) in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_deal_page_decides_like_the_api_and_is_audited(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[2])
    form = risk_client.get(f"/ui/deals?customer_id={customer_id}")
    assert f'name="customer_id" value="{customer_id}"' in form.text
    fields = {"customer_id": customer_id, "amount": "250000", "payment_terms_days": "60"}
    page = risk_client.post("/ui/deals", data=fields | {"csrf": csrf_of(form.text)})
    assert page.status_code == 200
    api = risk_client.post(
        "/v1/deals/assess",
        json={"customer_id": customer_id, "amount": 250000.0, "payment_terms_days": 60},
        headers=AUTH["risk"],
    ).json()
    decision = api["decision"].replace("_", " ")
    assert (
        f'id="decision" class="decision decision-{api["decision"]}">{decision}</span>' in page.text
    )
    for condition in api["conditions"]:
        assert f"<li>{escape(condition)}</li>" in page.text
    table = page.text.split('<table id="terms-tradeoff">')[1].split("</table>")[0]
    for option in api["terms_tradeoff"]:
        tier = option["risk_tier"]
        assert (
            f'<tr><td class="num">{option["terms_days"]} days</td>'
            f"<td>{', '.join(option['labels'])}</td>"
            f'<td class="num">{option["delinquency_probability"]:.1%}</td>'
            f'<td><span class="tier tier-{tier}">{tier}</span></td></tr>'
        ) in table
    audit = risk_client.app.state.audit  # type: ignore[attr-defined]
    rows = audit.history(customer_id)
    assert [(r["endpoint"], r["caller_role"]) for r in rows] == [
        ("deals.assess", "risk"),
        ("deals.assess", "risk"),
    ]
    request_id = re.search(r"Recorded in the audit log as request ([0-9a-f]+)\.", page.text)
    assert request_id is not None and rows[1]["request_id"] == request_id.group(1)


def test_deal_form_needs_the_csrf_token(risk_client: TestClient) -> None:
    fields = {"customer_id": "C1", "amount": "10", "payment_terms_days": "30", "csrf": "x"}
    response = risk_client.post("/ui/deals", data=fields)
    assert response.status_code == 403
    assert '<p class="error">Invalid form token: reload the page.</p>' in response.text
    assert risk_client.app.state.audit.count() == 0  # type: ignore[attr-defined]


def test_deal_form_names_the_bad_field(risk_client: TestClient) -> None:
    form = risk_client.get("/ui/deals").text
    fields = {"customer_id": "C1", "amount": "-5", "payment_terms_days": "400"}
    response = risk_client.post("/ui/deals", data=fields | {"csrf": csrf_of(form)})
    assert response.status_code == 422
    assert '<p class="error">amount: Input should be greater than 0</p>' in response.text
    assert (
        '<p class="error">payment_terms_days: Input should be less than or equal to 365</p>'
        in response.text
    )
    assert 'name="amount" value="-5"' in response.text


def test_sign_out_needs_the_token_and_ends_the_session(risk_client: TestClient) -> None:
    page = risk_client.get("/ui/deals").text
    assert risk_client.post("/ui/logout", data={"csrf": "wrong"}).status_code == 403
    response = risk_client.post("/ui/logout", data={"csrf": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    assert risk_client.get("/ui/").status_code == 303


def test_pages_before_the_model_is_loaded_say_so(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    missing = tmp_path / "no-store" / "online.parquet"
    settings = pages_settings_for(tmp_path, two_runs, registry, online_store=str(missing))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["risk"])[0] == 303
        customer = client.get("/ui/customers/C000001")
        form = client.get("/ui/deals").text
        fields = {"customer_id": "C000001", "amount": "10", "payment_terms_days": "30"}
        deal = client.post("/ui/deals", data=fields | {"csrf": csrf_of(form)})
    assert customer.status_code == 503
    assert '<p class="error" id="error">not ready: ' in customer.text
    assert str(missing) in html.unescape(customer.text)
    assert deal.status_code == 503
    assert '<p class="error">not ready: ' in deal.text


def test_search_box_opens_the_customer_page(risk_client: TestClient) -> None:
    response = risk_client.get("/ui/customers?customer_id=%20A/B%20")
    assert (response.status_code, response.headers["location"]) == (303, "/ui/customers/A%2FB")
    assert risk_client.get("/ui/customers?customer_id=").headers["location"] == "/ui/"


def test_stylesheet_is_served_by_the_app(pages_client: TestClient) -> None:
    response = pages_client.get("/ui/static/pages.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.text.startswith("/* arsight risk pages")


def test_data_is_escaped_on_the_portfolio(
    tmp_path: Path, two_runs: TwoRuns, registry: Registry
) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(two_runs.home / "runs", runs)
    latest = runs / two_runs.second_as_of.date().isoformat()
    payload = '<img src=x onerror="alert(1)">'
    worklist = pd.read_parquet(latest / "worklist.parquet")
    worklist.loc[0, "customer_name"] = payload
    worklist.to_parquet(latest / "worklist.parquet", index=False)
    settings = pages_settings_for(tmp_path, two_runs, registry, runs_dir=str(runs))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert sign_in(client, KEYS["risk"])[0] == 303
        page = client.get("/ui/").text
    assert payload not in page
    assert "<td>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</td>" in page


def test_customer_page_lists_the_open_invoices_as_the_api(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[0])
    api = risk_client.get(f"/v1/customers/{customer_id}/invoices", headers=AUTH["risk"]).json()
    assert api["invoices"], "the worklist's first customer has open invoices"
    page = risk_client.get(f"/ui/customers/{customer_id}").text
    table = page.split('<table id="invoices">')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == len(api["invoices"])
    first = api["invoices"][0]
    assert f"<td>{first['invoice_id']}</td><td>{first['due_date']}</td>" in rows
    assert f"<td>{first['predicted_payment_date']} <small>(" in rows
    assert f'<td class="num">{first["p_paid_on_time"]:.0%}</td>' in rows


def test_portfolio_lists_the_invoices_most_likely_over_30_days(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    invoices = pd.read_parquet(two_runs.second.paths.invoices)
    over = invoices[["p_late_31_60", "p_late_61_90", "p_late_over_90"]].sum(axis=1)
    worst = invoices.assign(o=over, s=over * invoices["open_amount"]).sort_values(
        ["o", "s", "invoice_id"], ascending=[False, False, True]
    )
    page = risk_client.get("/ui/").text
    table = page.split('<table id="at-risk-invoices">')[1].split("</table>")[0]
    shown = re.findall(r"<tr><td>([^<]+)</td><td><a href", table)
    assert shown == worst["invoice_id"].head(15).tolist()
