"""The HTTP API end to end: scores, deals, customers, model, errors, request ids, metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from arsight.cli import app as cli_app
from features.store import write_online_store
from models.bundle import ModelBundle
from serving.app import JsonFormatter, create_app
from serving.policy import DEFAULT_POLICY_PATH
from serving.settings import ServingSettings
from tests.serving.conftest import AUTH, Registry, make_settings


def test_scores_carry_model_reasons_and_as_of(
    client: TestClient, scored_ids: list[str], tiny_bundle: ModelBundle, store_frame: pd.DataFrame
) -> None:
    ids = scored_ids[:3]
    response = client.post("/v1/scores", json={"customer_ids": [*ids, ids[0]]}, headers=AUTH["crm"])
    assert response.status_code == 200
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    assert [s["customer_id"] for s in body["scores"]] == ids
    expected = tiny_bundle.predict(
        store_frame.set_index("customer_id").loc[ids, tiny_bundle.feature_names]
    )
    for score, (_, row) in zip(body["scores"], expected.iterrows(), strict=True):
        assert score["overdue_probability"] == pytest.approx(row["overdue_probability"], abs=1e-12)
        assert score["dso_30d"] == pytest.approx(row["dso_30d"], abs=1e-9)
        assert (score["model_name"], score["model_version"]) == ("arsight", "1")
        assert (score["policy_version"], score["features_as_of"]) == ("2026.12-1", "2024-03-31")
        assert len(score["reasons"]["overdue"]) == 3 and len(score["reasons"]["dso"]) == 3
        sizes = [abs(r["contribution"]) for r in score["reasons"]["overdue"]]
        assert sizes == sorted(sizes, reverse=True)
        assert score["risk_tier"] in ("green", "yellow", "orange", "red")


def test_every_score_is_audited(client: TestClient, scored_ids: list[str]) -> None:
    response = client.post(
        "/v1/scores", json={"customer_ids": scored_ids[:5]}, headers=AUTH["risk"]
    )
    audit = client.app.state.audit  # type: ignore[attr-defined]
    request_id = response.json()["request_id"]
    assert audit.count(request_id) == 5
    row = audit.history(scored_ids[0])[0]
    assert row["request_id"] == request_id
    assert (row["caller_role"], row["endpoint"], row["model_version"]) == ("risk", "scores", "1")
    assert row["features_as_of"].isoformat() == "2024-03-31"
    assert row["reasons"] == response.json()["scores"][0]["reasons"]


def test_incoming_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "crm-trace-42"})
    assert response.headers["x-request-id"] == "crm-trace-42"
    odd = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(odd.headers["x-request-id"]) == 32


def test_unknown_customer_404_names_it(client: TestClient, scored_ids: list[str]) -> None:
    response = client.post(
        "/v1/scores", json={"customer_ids": [scored_ids[0], "NOPE-1"]}, headers=AUTH["crm"]
    )
    assert response.status_code == 404
    assert response.json() == {
        "detail": "unknown customer 'NOPE-1': not in the online store as of 2024-03-31",
        "request_id": response.headers["x-request-id"],
    }
    assert client.app.state.audit.count() == 0  # type: ignore[attr-defined]


def test_malformed_body_422_names_the_field(client: TestClient) -> None:
    empty = client.post("/v1/scores", json={"customer_ids": []}, headers=AUTH["crm"])
    assert empty.status_code == 422
    assert empty.json()["detail"] == (
        "body.customer_ids: List should have at least 1 item after validation, not 0"
    )
    extra = client.post("/v1/scores", json={"customer_ids": ["C1"], "top": 3}, headers=AUTH["crm"])
    assert extra.json()["detail"] == "body.top: Extra inputs are not permitted"
    deal = client.post(
        "/v1/deals/assess",
        json={"customer_id": "C000001", "amount": -5, "payment_terms_days": 30},
        headers=AUTH["crm"],
    )
    assert deal.json()["detail"] == "body.amount: Input should be greater than 0"


def test_internal_error_500_has_request_id_and_no_trace(settings: ServingSettings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "r-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "r-500"
    assert response.json() == {
        "detail": "internal error; quote request id r-500 to support",
        "request_id": "r-500",
    }


def test_deal_assessment(client: TestClient, scored_ids: list[str]) -> None:
    customer = scored_ids[1]
    response = client.post(
        "/v1/deals/assess",
        json={"customer_id": customer, "amount": 1000.0, "payment_terms_days": 90},
        headers=AUTH["crm"],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["policy_version"] == "2026.12-1"
    assert body["exposure"]["exposure_after"] == pytest.approx(
        body["exposure"]["open_amount"] + 1000.0
    )
    assert body["decision"] in ("approve_with_conditions", "refer", "decline")
    assert any("payment terms shortened from 90" in c for c in body["conditions"])
    row = client.app.state.audit.history(customer)[0]  # type: ignore[attr-defined]
    assert (row["endpoint"], row["decision"]) == ("deals.assess", body["decision"])
    assert row["outputs"]["conditions"] == body["conditions"]


def test_the_deal_answer_shows_the_terms_trade_off(
    client: TestClient, scored_ids: list[str], store_frame: pd.DataFrame, tiny_bundle: ModelBundle
) -> None:
    frame = store_frame.set_index("customer_id", drop=False)
    customer = next(c for c in scored_ids if frame.at[c, "customer_terms_days"] == 30)
    body = client.post(
        "/v1/deals/assess",
        json={"customer_id": customer, "amount": 1000.0, "payment_terms_days": 90},
        headers=AUTH["crm"],
    ).json()
    options = body["terms_tradeoff"]
    recommended = body["recommended_terms"]["terms_days"]
    days = sorted({30, 90, recommended})
    assert [o["terms_days"] for o in options] == days
    labels = {o["terms_days"]: o["labels"] for o in options}
    assert "agreed" in labels[30] and labels[90] == ["requested"]
    assert "recommended" in labels[recommended]
    row = frame.loc[[customer]]
    rescored = pd.concat([row] * len(days), ignore_index=True).assign(customer_terms_days=days)
    expected = tiny_bundle.predict_delinquency(rescored[tiny_bundle.feature_names])
    assert [o["delinquency_probability"] for o in options] == pytest.approx(expected, abs=1e-12)
    at_agreed = next(o for o in options if "agreed" in o["labels"])
    assert at_agreed["delinquency_probability"] == pytest.approx(
        body["score"]["delinquency_probability"], abs=1e-12
    )  # the agreed terms are the customer's own row: the score itself


def test_customer_history_newest_first(client: TestClient, scored_ids: list[str]) -> None:
    customer = scored_ids[2]
    for role in ("crm", "risk"):
        client.post("/v1/scores", json={"customer_ids": [customer]}, headers=AUTH[role])
    body = client.get(f"/v1/customers/{customer}", headers=AUTH["risk"]).json()
    assert body["latest"]["customer_id"] == customer
    assert [h["caller_role"] for h in body["history"]] == ["risk", "crm"]
    assert body["tier_changes"] == []
    unknown = client.get("/v1/customers/NOPE-2", headers=AUTH["risk"])
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        "unknown customer 'NOPE-2': not in the online store as of 2024-03-31 and never scored"
    )


def test_model_endpoint(client: TestClient, tiny_bundle: ModelBundle) -> None:
    body = client.get("/v1/model", headers=AUTH["crm"]).json()
    assert (body["name"], body["version"], body["alias"]) == ("arsight", "1", "champion")
    assert body["feature_names"] == tiny_bundle.feature_names
    assert body["metrics"] == {"auc": 0.75}
    assert body["features_as_of"] == "2024-03-31"


def test_known_customer_without_features_409(
    tmp_path: Path, store_frame: pd.DataFrame, registry: Registry, tiny_bundle: ModelBundle
) -> None:
    numeric = [n for n in tiny_bundle.feature_names if n not in tiny_bundle.categorical_features]
    frame = store_frame.copy()
    frame.loc[frame.index[0], numeric] = float("nan")
    empty_id = str(frame["customer_id"].iloc[0])
    path = tmp_path / "online.parquet"
    write_online_store(frame, path)
    with TestClient(create_app(make_settings(tmp_path, path, registry))) as client:
        response = client.post("/v1/scores", json={"customer_ids": [empty_id]}, headers=AUTH["crm"])
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"customer '{empty_id}' has no features in the online store as of 2024-03-31: "
        "no invoice history up to that date, or not in the latest snapshot"
    )


def test_not_ready_503_until_store_exists(tmp_path: Path, registry: Registry) -> None:
    settings = make_settings(tmp_path, tmp_path / "missing.parquet", registry)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        scores = client.post("/v1/scores", json={"customer_ids": ["C1"]}, headers=AUTH["crm"])
    assert ready.status_code == 503
    problem = f"online store {tmp_path / 'missing.parquet'}: no such file"
    assert ready.json() == {
        "status": "not_ready",
        "model": None,
        "features_as_of": None,
        "problems": ["online store …/missing.parquet: no such file"],  # open: no directories
    }
    assert scores.status_code == 503
    assert scores.json()["detail"] == f"not ready: {problem}"


def test_metrics(client: TestClient, scored_ids: list[str]) -> None:
    client.post("/v1/scores", json={"customer_ids": scored_ids[:4]}, headers=AUTH["crm"])
    text = client.get("/metrics").text
    assert 'arsight_model_info{name="arsight",pipeline_version="2",version="1"} 1.0' in text
    assert "arsight_audit_write_failures_total 0.0" in text
    assert (
        'arsight_request_duration_seconds_count{method="POST",route="/v1/scores",status="200"} 1.0'
        in text
    )
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("arsight_scores_total{")
    )
    assert counted == 4.0


def test_access_log_is_structured_json(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="serving.access"):
        client.get("/healthz", headers={"X-Request-ID": "log-1"})
    record = [r for r in caplog.records if r.name == "serving.access"][-1]
    line = json.loads(JsonFormatter().format(record))
    assert {
        k: line[k] for k in ("level", "logger", "message", "request_id", "route", "status")
    } == {
        "level": "INFO",
        "logger": "serving.access",
        "message": "GET /healthz 200",
        "request_id": "log-1",
        "route": "/healthz",
        "status": 200,
    }
    assert line["duration_ms"] >= 0


def test_policy_override_and_its_version_in_every_answer(
    tmp_path: Path, store_path: Path, registry: Registry, scored_ids: list[str]
) -> None:
    custom = tmp_path / "policy.yaml"
    custom.write_text(DEFAULT_POLICY_PATH.read_text().replace('"2026.12-1"', '"custom-7"'))
    settings = make_settings(tmp_path, store_path, registry, policy=custom)
    body = {"customer_id": scored_ids[0], "amount": 10.0, "payment_terms_days": 0}
    with TestClient(create_app(settings)) as client:
        deal = client.post("/v1/deals/assess", json=body, headers=AUTH["risk"]).json()
        row = client.app.state.audit.history(scored_ids[0])[0]  # type: ignore[attr-defined]
    assert (deal["policy_version"], deal["score"]["policy_version"]) == ("custom-7", "custom-7")
    assert row["policy_version"] == "custom-7"


def test_serve_command_is_mounted() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example: ARSIGHT_API_KEYS=crm:dev-key arsight serve --port 8000" in result.output
