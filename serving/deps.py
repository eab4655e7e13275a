"""Dependencies shared by routes: the served snapshot, the audit log, metrics and the caller.

Guards (authentication, roles, readiness) live here as dependencies so that routes never repeat
an `if ...: raise`; the errors they raise are mapped to HTTP once, in `serving.app`.

They are `async def` on purpose: none of them blocks (attribute reads, a SHA-256 of a short
key), and FastAPI runs every plain `def` dependency in the thread pool, a hop that cost about
a millisecond per dependency on the loaded benchmark machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.audit import AuditLog
from serving.auth import KeyRing, Role, bearer_key, require_role
from serving.metrics import ServingMetrics
from serving.refresher import Refresher
from serving.snapshot import Served

_bearer = HTTPBearer(auto_error=False, description="API key: Authorization: Bearer <key>")


async def get_refresher(request: Request) -> Refresher:
    """The app's refresher: current snapshot and /readyz problems (set by `create_app`)."""
    refresher: Refresher = request.app.state.refresher
    return refresher


async def get_served(request: Request) -> Served:
    """The current snapshot; 503 before model and store are loaded and consistent."""
    refresher: Refresher = request.app.state.refresher
    return refresher.current()


async def get_audit(request: Request) -> AuditLog:
    """The audit log opened in the lifespan."""
    audit: AuditLog = request.app.state.audit
    return audit


async def get_metrics(request: Request) -> ServingMetrics:
    """The app's Prometheus metrics."""
    metrics: ServingMetrics = request.app.state.metrics
    return metrics


async def get_request_id(request: Request) -> str:
    """The id the request-id middleware gave this request."""
    request_id: str = request.state.request_id
    return request_id


def allow(*roles: Role) -> Callable[..., Awaitable[Role]]:
    """A dependency admitting callers whose key maps to one of `roles` (admin always)."""

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Role:
        header = request.headers.get("authorization")
        if credentials is not None:
            header = f"Bearer {credentials.credentials}"
        keys: KeyRing = request.app.state.keys
        role = keys.role_of(bearer_key(header))
        request.state.role = role
        require_role(role, roles)
        return role

    return caller


RefresherDep = Annotated[Refresher, Depends(get_refresher)]
ServedDep = Annotated[Served, Depends(get_served)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
MetricsDep = Annotated[ServingMetrics, Depends(get_metrics)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
ScoringCaller = Annotated[Role, Depends(allow("crm", "risk"))]
RiskCaller = Annotated[Role, Depends(allow("risk"))]
CollectionsCaller = Annotated[Role, Depends(allow("risk", "collections"))]
AnyCaller = Annotated[Role, Depends(allow("crm", "risk", "collections", "admin"))]
