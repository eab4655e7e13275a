"""Every error body carries the request id, statuses stay inside the OpenAPI document, and the
open /readyz says what is wrong without credentials or local paths (issue 15, item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.conftest import AUTH, Registry, make_settings


def _carries_request_id(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"detail", "request_id"}
    assert body["request_id"] == response.headers["x-request-id"]  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b'{"customer_ids": ["\xff"]}', "body: the request body is not UTF-8 encoded JSON"),
        (b"\xff\xfe{", "body: the request body is not UTF-8 encoded JSON"),
        (b"[" * 1100 + b"]" * 1100, "body: JSON nested too deeply"),
    ],
)
def test_unparseable_bodies_are_422_with_request_id(
    client: TestClient, payload: bytes, detail: str
) -> None:
    headers = {**AUTH["crm"], "Content-Type": "application/json", "X-Request-ID": "rid-1"}
    response = client.post("/v1/scores", content=payload, headers=headers)
    assert response.status_code == 422
    assert _carries_request_id(response) == {"detail": detail, "request_id": "rid-1"}


def test_404_and_405_bodies_carry_the_request_id(client: TestClient) -> None:
    missing = client.get("/v2/nothing-here")
    assert missing.status_code == 404
    assert _carries_request_id(missing)["detail"] == "Not Found"
    wrong_method = client.delete("/v1/scores", headers=AUTH["crm"])
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert _carries_request_id(wrong_method)["detail"] == "Method Not Allowed"


def test_every_operation_documents_the_statuses_it_can_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"200", "413", "500"} <= documented, (method, path, documented)
            if path.startswith("/v1/"):
                assert {"401", "403", "422", "429", "503"} <= documented, (method, path)


def test_public_problem_hides_credentials_and_paths() -> None:
    from serving.routes.health import public_problem

    text = (
        "model registry at postgresql+psycopg://postgres:secret@127.0.0.1:1/nope?sslkey=/k/x: "
        "cannot resolve models:/arsight@champion: connection refused; "
        "online store sqlite:////srv/arsight/store/online.db: [Errno 2] No such file or "
        "directory: '/srv/arsight/store/online.parquet'; serving last good models:/arsight/2"
    )
    assert public_problem(text) == (
        "model registry at postgresql+psycopg://127.0.0.1:1/nope: "
        "cannot resolve models:/arsight@champion: connection refused; "
        "online store sqlite:///…/online.db: [Errno 2] No such file or "
        "directory: '…/online.parquet'; serving last good models:/arsight/2"
    )


def test_readyz_names_the_problems_without_paths(tmp_path: Path, registry: Registry) -> None:
    secret_dir = tmp_path / "private-layout"
    secret_dir.mkdir()
    settings = make_settings(
        tmp_path,
        secret_dir / "no-store.parquet",
        registry,
        tracking_uri=f"sqlite:///{secret_dir / 'empty-registry.db'}",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and len(body["problems"]) >= 1
    assert "private-layout" not in response.text and str(tmp_path) not in response.text
