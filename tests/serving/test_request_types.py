"""Strict types on every request field: no bool or string taken for a number (issue 15, 8)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import AUTH


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"amount": True}, "body.amount: Input should be a valid number"),
        ({"amount": "1000"}, "body.amount: Input should be a valid number"),
        ({"payment_terms_days": "30"}, "body.payment_terms_days: Input should be a valid integer"),
        ({"payment_terms_days": 30.5}, "body.payment_terms_days: Input should be a valid integer"),
        ({"payment_terms_days": True}, "body.payment_terms_days: Input should be a valid integer"),
        ({"customer_id": 7}, "body.customer_id: Input should be a valid string"),
    ],
)
def test_deal_fields_take_only_their_own_json_type(
    client: TestClient, scored_ids: list[str], change: dict[str, object], detail: str
) -> None:
    body = {"customer_id": scored_ids[0], "amount": 1000, "payment_terms_days": 30} | change
    response = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    assert (response.status_code, response.json()["detail"]) == (422, detail)


def test_an_integer_amount_is_a_number_and_a_whole_float_an_integer(
    client: TestClient, scored_ids: list[str]
) -> None:
    body = {"customer_id": scored_ids[0], "amount": 1000, "payment_terms_days": 30.0}
    response = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    assert response.status_code == 200
    assert response.json()["exposure"]["deal_amount"] == 1000.0
    assert response.json()["requested_terms_days"] == 30


def test_score_ids_must_be_strings(client: TestClient) -> None:
    response = client.post("/v1/scores", json={"customer_ids": [True]}, headers=AUTH["crm"])
    assert response.status_code == 422
    assert response.json()["detail"] == "body.customer_ids.0: Input should be a valid string"
