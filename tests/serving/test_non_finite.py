"""Huge or non-finite amounts in the store: the deal answer and the pages refuse them with a
clear message naming the customer and the field, never `inf` or a 500 (issue 15, item 7)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.store import write_online_store
from serving.app import create_app
from serving.pages import charts
from tests.serving.conftest import AUTH, KEYS, Registry, make_settings
from tests.serving.pages.conftest import TOKEN, csrf_of

AGING = ["customer_aging_current_amount", "customer_aging_1_30_amount"]


@pytest.fixture
def overflowed(
    tmp_path: Path, store_frame: pd.DataFrame, registry: Registry, scored_ids: list[str]
) -> Iterator[tuple[TestClient, str]]:
    """An app over a store where one customer's amounts overflowed (two invoices of 1e308)."""
    frame = store_frame.copy()
    customer = scored_ids[0]
    row = frame["customer_id"].astype(str) == customer
    frame.loc[row, "customer_open_amount"] = math.inf
    frame.loc[row, AGING[0]] = math.inf
    frame.loc[row, AGING[1]] = 1.5e308
    path = tmp_path / "store" / "online.parquet"
    path.parent.mkdir()
    write_online_store(frame, path)
    settings = make_settings(tmp_path, path, registry, session_secret="s")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, customer


def test_deal_on_an_infinite_exposure_is_409_naming_customer_and_field(
    overflowed: tuple[TestClient, str],
) -> None:
    client, customer = overflowed
    body = {"customer_id": customer, "amount": 1000, "payment_terms_days": 30}
    response = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"customer {customer!r}: customer_open_amount in the online store is not a finite "
        "number (inf); the deal cannot be assessed until the data is corrected"
    )
    scores = client.post("/v1/scores", json={"customer_ids": [customer]}, headers=AUTH["crm"])
    assert scores.status_code == 200


def _sign_in(client: TestClient) -> None:
    token = TOKEN.search(client.get("/ui/login").text)
    assert token is not None
    signed = client.post("/ui/login", data={"api_key": KEYS["risk"], "token": token.group(1)})
    assert signed.status_code == 303


def test_customer_page_with_huge_amounts_says_so(overflowed: tuple[TestClient, str]) -> None:
    client, customer = overflowed
    _sign_in(client)
    page = client.get(f"/ui/customers/{customer}")
    assert page.status_code == 200
    assert "cannot draw: a value is not a finite number or is too large" in page.text


@pytest.mark.parametrize("values", [[1.0, math.inf], [-1.5e308, 1.5e308], [math.nan, 2.0]])
def test_charts_never_overflow(values: list[float]) -> None:
    for chart in (
        charts.bar_chart([(str(i), v) for i, v in enumerate(values)], title="t"),
        charts.line_chart([str(i) for i in range(len(values))], values, title="t"),
        charts.waterfall_chart(values[0], [("x", values[1])], title="t"),
    ):
        assert "cannot draw: a value is not a finite number or is too large" in chart


def test_deal_page_on_an_infinite_exposure_says_why(overflowed: tuple[TestClient, str]) -> None:
    client, customer = overflowed
    _sign_in(client)
    form = client.get(f"/ui/deals?customer_id={customer}")
    fields = {"customer_id": customer, "amount": "1000", "payment_terms_days": "30"}
    page = client.post("/ui/deals", data={**fields, "csrf": csrf_of(form.text)})
    assert page.status_code == 409
    assert (
        f"customer &#39;{customer}&#39;: customer_open_amount in the online store is not a "
        "finite number (inf)"
    ) in page.text
