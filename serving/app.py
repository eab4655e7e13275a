"""The FastAPI application: `create_app(settings)`, lifespan, middleware and error mapping.

Lifespan: migrate and open the audit log, then the app's `Refresher` resolves and loads the
champion, loads the online store, checks they agree and pre-scores the store, and polls for a
newer champion or store every `poll_seconds`, swapping without a restart. Start-up does not
fail when the model or store is missing: the app serves /healthz and reports the problem on
/readyz (503) until a poll succeeds, which is what an orchestrator's readiness probe expects.

Errors map to HTTP in one table (`serving.errors` status codes); anything unexpected becomes a
500 with the request id and no stack trace. Every response carries X-Request-ID (the caller's,
when it sends a sane one).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.audit import AuditLog
from serving.auth import load_key_ring
from serving.errors import AuditError, ServingError
from serving.limits import AuthFailureLimiter, AuthFailureMiddleware, BodyLimitMiddleware
from serving.metrics import ServingMetrics
from serving.model_loader import ModelSource
from serving.policy import Policy, load_policy
from serving.refresher import Refresher
from serving.routes import (
    cases,
    cash,
    collections,
    customers,
    deals,
    health,
    invoices,
    model,
    scores,
)
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)
access_log = logging.getLogger("serving.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


OWN_HANDLER_LOGGERS = ("mlflow", "alembic", "uvicorn", "uvicorn.error")
"""Libraries that attach plain-text handlers of their own (and stop propagation): their records
are routed to the root's JSON handler instead, so stderr stays one JSON object a line."""


def configure_json_logging(level: int = logging.INFO) -> None:
    """Route every log record to stderr as JSON (called by `arsight serve`, not at import).

    MLflow in particular logs multi-line warnings with tracebacks through its own handler on
    every failed registry poll; those become single JSON lines too (newlines escaped).
    """
    import mlflow  # noqa: F401 - installs its handler on import; replaced below

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in OWN_HANDLER_LOGGERS:
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True


class RequestIdMiddleware:
    """Pure ASGI middleware: request id, X-Request-ID header, latency metric, access log."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(route, scope["method"], status, elapsed)
            access_log.info(
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": request_id,
                    "status": status,
                    "route": route,
                    "duration_ms": round(elapsed * 1000, 3),
                    "role": scope["state"].get("role"),
                },
            )


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


def _error(request: Request, status: int, detail: str) -> JSONResponse:
    rid = _request_id(request)
    return JSONResponse(
        {"detail": detail, "request_id": rid}, status_code=status, headers={"X-Request-ID": rid}
    )


# FastAPI answers a body it cannot decode (bad UTF-8, JSON nested past Python's recursion
# limit) with an undocumented 400 of this detail; it is a malformed request, so a 422.
_UNPARSEABLE_BODY = "There was an error parsing the body"


def _unparseable_detail(exc: BaseException | None) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "body: the request body is not UTF-8 encoded JSON"
    if isinstance(exc, RecursionError):
        return "body: JSON nested too deeply"
    return "body: the request body could not be parsed as JSON"


def install_error_handlers(app: FastAPI) -> None:
    """The one table from errors to HTTP responses."""

    @app.exception_handler(ServingError)
    async def serving_error(request: Request, exc: ServingError) -> JSONResponse:
        if isinstance(exc, AuditError):
            request.app.state.metrics.audit_failures.inc()
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        response = _error(request, exc.status_code, str(exc))
        response.headers.update(headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """What Starlette and FastAPI answer themselves (404, 405, ...), with the request id."""
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
            return _error(request, 422, _unparseable_detail(exc.__cause__))
        response = _error(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            problems.append(f"{where}: {error['msg']}")
        return _error(request, 422, "; ".join(problems))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        rid = _request_id(request)
        logger.error("unhandled error", exc_info=exc, extra={"request_id": rid})
        return _error(request, 500, f"internal error; quote request id {rid} to support")


def build_refresher(
    settings: ServingSettings, policy: Policy, metrics: ServingMetrics
) -> Refresher:
    """The app's refresher: the configured alias, store, policy and poll interval."""
    source = ModelSource.from_settings(settings)
    return Refresher(
        source,
        settings.online_store_location,
        policy,
        settings.reasons_top_k,
        metrics,
        interval=settings.poll_seconds,
        freeze_heap=settings.freeze_heap,
        store_timeout_seconds=settings.store_timeout_seconds,
    )


def audited_lifespan(
    settings: ServingSettings, refresher: Refresher
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open the audit log and load the first snapshot before serving; stop both after."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        audit = AuditLog(settings.audit_url)
        audit.migrate()
        app.state.audit = audit
        refresher.run_once()
        refresher.start()
        try:
            yield
        finally:
            refresher.stop()
            audit.dispose()

    return lifespan


def create_app(settings: ServingSettings) -> FastAPI:
    """The serving app for `settings`; policy and keys are read now, so bad config fails fast."""
    policy = load_policy(settings.policy)
    keys = load_key_ring(
        settings.api_keys.get_secret_value() if settings.api_keys else None,
        settings.api_keys_file,
    )
    metrics = ServingMetrics()
    refresher = build_refresher(settings, policy, metrics)

    app = FastAPI(
        title="arsight",
        version="1",
        summary="Credit risk and risk tiers, late-payment probability, DSO forecast, reasons "
        "in business words and deal decisions.",
        lifespan=audited_lifespan(settings, refresher),
    )
    app.state.refresher = refresher
    app.state.keys = keys
    app.state.metrics = metrics
    app.state.policy = policy
    app.state.settings = settings
    for module in (scores, deals, cases, customers, invoices, collections, cash, model, health):
        app.include_router(module.router)
    from serving.pages.router import router as pages_router  # risk officers' pages, /ui
    from serving.pages.session import SessionTable
    from serving.pages.signin import PageForbiddenError, forbidden_page

    app.include_router(pages_router)
    app.add_exception_handler(PageForbiddenError, forbidden_page)
    app.state.page_sessions = SessionTable()
    install_error_handlers(app)
    limiter = AuthFailureLimiter(settings.auth_failure_limit, settings.auth_failure_window_seconds)
    app.add_middleware(AuthFailureMiddleware, limiter=limiter)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware, metrics=metrics)  # outermost: ids for all above
    return app
