"""The portfolio page's 13-week cash forecast: chart beside the weeks received, and its table."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from serving.pages import charts
from serving.pages.rendering import money
from tests.serving.batch_fixtures import TwoRuns

TITLE = "Cash received per week, then expected for 13 weeks (p10-p90 band)"


def test_portfolio_page_draws_the_forecast_beside_what_was_received(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    page = risk_client.get("/ui/")
    assert page.status_code == 200
    text = page.text
    assert text.count(f'aria-label="{TITLE}"') == 1
    forecast = pd.read_parquet(two_runs.second.paths.cash_forecast)
    weeks = forecast.loc[forecast["industry"] == "all"]
    assert text.count('class="received"') == 13  # the 13 weeks before the as-of date
    first = weeks.iloc[0]
    row = (
        f"<tr><td>{first['week_start'].date().isoformat()}</td>"
        f'<td class="num">{money(first["expected_receipts"])}</td>'
    )
    assert row in text
    assert text.count("<tr><td>") >= 13 and 'id="cash-weeks"' in text


def test_the_cash_chart_shades_the_band_and_marks_the_as_of_date() -> None:
    svg = str(
        charts.cash_chart(
            [("12-01", 100.0), ("12-08", 50.0)],
            [("12-15", 80.0, 60.0, 120.0), ("12-22", 40.0, 10.0, 70.0)],
            title="Cash",
        )
    )
    assert svg.count('class="received"') == 2 and svg.count("<polygon") == 1
    assert "<title>12-15: expected 80 (p10 60, p90 120)</title>" in svg
    assert 'stroke-dasharray="4 3"' in svg and 'aria-label="Cash"' in svg
    assert "cannot draw" in str(charts.cash_chart([], [("w", float("nan"), 0.0, 1.0)], title="x"))
    assert "no data" in str(charts.cash_chart([], [], title="x"))
