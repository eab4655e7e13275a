"""Schemathesis over /openapi.json: no 5xx and no response breaking its documented schema.

Runs against a ready app (model and store loaded), with an admin key so every operation is
reachable; generated customer ids are mostly unknown, so 404s are expected and documented.
Operations are driven through Hypothesis directly (schemathesis' `from_fixture` pytest helper
does not run under pytest 9).
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from serving.app import create_app
from tests.serving.conftest import AUTH, Registry, make_settings


def test_api_conforms_to_its_schema(
    tmp_path: Path, session_store: Path, registry: Registry
) -> None:
    app = create_app(make_settings(tmp_path, session_store, registry))
    checked = []
    with TestClient(app):  # runs the lifespan: model, store and audit log ready
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(
                max_examples=15,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def conforms(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=AUTH["admin"])

            conforms()
            checked.append(operation.label)
    assert sorted(checked) == [
        "GET /healthz",
        "GET /metrics",
        "GET /readyz",
        "GET /v1/customers/{customer_id}",
        "GET /v1/model",
        "POST /v1/deals/assess",
        "POST /v1/scores",
    ]
