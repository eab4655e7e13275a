"""Open endpoints: liveness, readiness and Prometheus metrics (no key needed).

/readyz is open, so what it says about a problem is rewritten by `public_problem` first: a URL
keeps its scheme, host, port and database name but loses its user, password and query; a local
path (in a URL or alone) keeps only its file name, `…/online.parquet`. An operator still reads
which registry or store is wrong; nobody else learns a credential or the server's layout.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Response

from serving.deps import MetricsDep, RefresherDep
from serving.refresher import Refresher
from serving.routes.errors import OPEN_RESPONSES
from serving.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])
_URL_OR_PATH = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>[^\s'\"]*)"
    r"|(?<![\w:/.~-])(?P<path>~?/[^\s'\",;:)]+)"
)


def _file_name(path: str) -> str:
    return "…/" + path.rstrip("/").rsplit("/", 1)[-1]


def _public_url(scheme: str, rest: str) -> str:
    trailing = rest[len(rest.rstrip(":;,.)")) :]
    rest = rest[: len(rest) - len(trailing)].split("?", 1)[0].split("#", 1)[0]
    authority, slash, path = rest.partition("/")
    host = authority.rsplit("@", 1)[-1]
    if not host:  # sqlite:///..., file:///...: a local file
        return f"{scheme}:///{_file_name(path)}{trailing}" if path else f"{scheme}://{trailing}"
    return f"{scheme}://{host}{slash}{path}{trailing}"


def public_problem(text: str) -> str:
    """`text` without user names, passwords, query strings or directories (see module doc)."""

    def replace(match: re.Match[str]) -> str:
        if match.group("path") is not None:
            return _file_name(match.group("path"))
        return _public_url(match.group("scheme"), match.group("rest"))

    return _URL_OR_PATH.sub(replace, text)


@router.get("/healthz", responses=OPEN_RESPONSES)
async def healthz() -> HealthResponse:
    """The process is alive."""
    return HealthResponse(status="ok")


def readiness(state: Refresher) -> ReadyResponse:
    """Ready with no problems, degraded while serving the last good pair, else not ready."""
    served = state.served
    problems = sorted(public_problem(p) for p in state.problems.values())
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
    responses={
        503: {"model": ReadyResponse, "description": "Model or store not loaded"},
        **OPEN_RESPONSES,
    },
)
async def readyz(response: Response, state: RefresherDep) -> ReadyResponse:
    """200 once a consistent model and store are loaded (503 before); problems listed."""
    ready = readiness(state)
    if ready.status == "not_ready":
        response.status_code = 503
    return ready


@router.get("/metrics", response_class=Response, responses=OPEN_RESPONSES)
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text exposition."""
    return Response(content=metrics.render(), media_type=metrics.content_type)
