"""GET /v1/model: the served model, its metrics and feature list (any role)."""

from __future__ import annotations

import math

from fastapi import APIRouter

from serving.deps import AnyCaller, ServedDep
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import ModelResponse

router = APIRouter(tags=["model"])


@router.get("/v1/model", responses=ERROR_RESPONSES)
async def model(caller: AnyCaller, served: ServedDep) -> ModelResponse:  # noqa: ARG001
    """Name, version, alias, metrics and features of the served model; store as-of."""
    bundle = served.bundle
    return ModelResponse(
        name=served.ref.name,
        version=served.ref.version,
        alias=served.ref.alias,
        uri=served.ref.uri,
        run_id=served.ref.run_id,
        pipeline_version=str(bundle.pipeline_version),
        feature_names=list(bundle.feature_names),
        categorical_features=list(bundle.categorical_features),
        metrics={k: float(v) for k, v in bundle.metrics.items() if math.isfinite(float(v))},
        policy_version=served.policy.version,
        features_as_of=served.features_as_of,
        store_written_at=served.store.written_at,
        loaded_at=served.loaded_at,
    )
