"""Open endpoints: liveness, readiness and Prometheus metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from serving.deps import MetricsDep, RefresherDep
from serving.refresher import Refresher
from serving.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> HealthResponse:
    """The process is alive."""
    return HealthResponse(status="ok")


def readiness(state: Refresher) -> ReadyResponse:
    """Ready with no problems, degraded while serving the last good pair, else not ready."""
    served = state.served
    problems = sorted(state.problems.values())
    if served is None:
        return ReadyResponse(status="not_ready", model=None, features_as_of=None, problems=problems)
    return ReadyResponse(
        status="degraded" if problems else "ready",
        model=served.ref.uri,
        features_as_of=served.features_as_of,
        problems=problems,
    )


@router.get(
    "/readyz",
    responses={503: {"model": ReadyResponse, "description": "Model or store not loaded"}},
)
async def readyz(response: Response, state: RefresherDep) -> ReadyResponse:
    """200 once a consistent model and store are loaded (503 before); problems listed."""
    ready = readiness(state)
    if ready.status == "not_ready":
        response.status_code = 503
    return ready


@router.get("/metrics", response_class=Response)
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text exposition."""
    return Response(content=metrics.render(), media_type=metrics.content_type)
