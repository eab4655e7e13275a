"""Schemathesis over /openapi.json: no 5xx and no response breaking its documented schema.

Runs against a ready app (model and store loaded), with an admin key so every operation is
reachable. Half the generated cases carry real customer ids of the store (in the path or the
body), so the answers of known customers are checked against their schemas too; the other
half are mostly unknown ids, whose 404s are documented.
Operations are driven through Hypothesis directly (schemathesis' `from_fixture` pytest helper
does not run under pytest 9).
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serving.app import create_app
from tests.serving.conftest import AUTH, Registry, make_settings


def with_real_id(case: schemathesis.Case, real: str | None) -> schemathesis.Case:
    """`case` with its customer id(s) replaced by `real` (None: left as generated)."""
    if real is None:
        return case
    if case.path_parameters and "customer_id" in case.path_parameters:
        case.path_parameters["customer_id"] = real
    if isinstance(case.body, dict):
        if "customer_id" in case.body:
            case.body["customer_id"] = real
        if isinstance(case.body.get("customer_ids"), list):
            case.body["customer_ids"] = [real, *case.body["customer_ids"][:2]]
    return case


def test_api_conforms_to_its_schema(
    tmp_path: Path, session_store: Path, registry: Registry, scored_ids: list[str]
) -> None:
    app = create_app(make_settings(tmp_path, session_store, registry))
    checked = []
    with TestClient(app):  # runs the lifespan: model, store and audit log ready
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(
                case=operation.as_strategy(),
                real=st.one_of(st.none(), st.sampled_from(scored_ids[:50])),
            )
            @settings(
                max_examples=30,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def conforms(case: schemathesis.Case, real: str | None) -> None:
                with_real_id(case, real).call_and_validate(headers=AUTH["admin"])

            conforms()
            checked.append(operation.label)
    assert sorted(checked) == [
        "GET /healthz",
        "GET /metrics",
        "GET /readyz",
        "GET /v1/cases",
        "GET /v1/cases/{case_id}",
        "GET /v1/cash-forecast",
        "GET /v1/collections/actions",
        "GET /v1/collections/actions/{action_id}",
        "GET /v1/customers/{customer_id}",
        "GET /v1/customers/{customer_id}/invoices",
        "GET /v1/model",
        "POST /v1/cases/{case_id}/decision",
        "POST /v1/collections/actions/{action_id}/outcome",
        "POST /v1/deals/assess",
        "POST /v1/scores",
    ]
