"""The portfolio page's KPI panel: the last month's collections KPIs and their change."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient
from markupsafe import escape

from features.kpis import kpis_by_month
from features.portfolio import month_ends_of
from features.tables import Tables
from tests.serving.batch_fixtures import TwoRuns
from tests.serving.conftest import KEYS
from tests.serving.pages.conftest import sign_in


def test_the_portfolio_page_shows_the_kpis_of_the_last_month(
    pages_client: TestClient, world: Tables
) -> None:
    assert sign_in(pages_client, KEYS["risk"])[0] == 303
    page = pages_client.get("/ui/").text
    months = month_ends_of(world)[-2:]
    kpis = kpis_by_month(world, months)
    portfolio = kpis[kpis["industry"] == "all"].set_index("month_end")
    last, before = portfolio.iloc[-1], portfolio.iloc[-2]
    assert f"Collections KPIs, {months[-1]:%B %Y}</h2>" in page
    dso = page.split('<tr id="kpi-dso_days">')[1].split("</tr>")[0]
    assert f'<td class="num">{last["dso_days"]:,.1f} days</td>' in dso
    assert f"{last['dso_days'] - before['dso_days']:+.1f} days" in dso
    cei = page.split('<tr id="kpi-cei">')[1].split("</tr>")[0]
    assert f'<td class="num">{last["cei"]:.1%}</td>' in cei
    assert f"{(last['cei'] - before['cei']) * 100:+.1f} pts" in cei


def test_the_portfolio_page_shows_the_predictions_judged(
    pages_client: TestClient, two_runs: TwoRuns
) -> None:
    assert sign_in(pages_client, KEYS["risk"])[0] == 303
    page = pages_client.get("/ui/").text
    judged = pd.read_parquet(two_runs.second.paths.judged).set_index("figure")
    table = page.split('<table id="judged-figures">')[1].split("</table>")[0]
    auc = judged.loc["overdue_auc"]
    assert (
        f"<tr><td>Late-payment AUC</td><td>{two_runs.first_as_of.date()} (30 days on)</td>"
    ) in table
    assert f'<td class="num">{auc["value"]:.3f}</td>' in table
    assert '<td class="num">0.750</td>' in table  # the tiny bundle's card
    assert "overdue_outcomes" not in table
    assert 'aria-label="Late-payment AUC of the predictions made 30 days before each run"' in page


def test_the_customer_page_shows_the_recommended_credit_limit(
    pages_client: TestClient, two_runs: TwoRuns
) -> None:
    assert sign_in(pages_client, KEYS["risk"])[0] == 303
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[0])
    scores = pd.read_parquet(two_runs.second.paths.scores).set_index("customer_id")
    row = scores.loc[customer_id]
    page = pages_client.get(f"/ui/customers/{customer_id}").text
    shown = page.split('<dd id="credit-limit">')[1].split("</dd>")[0]
    assert shown.startswith(f"{row['recommended_credit_limit']:,.0f} <small>(")
    assert str(escape(row["credit_limit_basis"])) in shown


def test_the_terms_review_page_lists_the_latest_runs_changes(
    pages_client: TestClient, two_runs: TwoRuns
) -> None:
    assert sign_in(pages_client, KEYS["risk"])[0] == 303
    page = pages_client.get("/ui/terms-review")
    assert page.status_code == 200
    review = pd.read_parquet(two_runs.second.paths.terms_review)
    assert set(review["kind"]) == {"cut", "reward"}  # the tiny world has both
    assert f"proposes {len(review)} changes" in page.text
    for reason in review["reason"]:
        assert str(escape(reason)) in page.text
