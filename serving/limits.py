"""Limits that protect the server from oversized, half-sent and key-guessing requests.

- `BodyLimitMiddleware`: a request body larger than `ARSIGHT_MAX_BODY_BYTES` (default 1 MiB)
  is refused with 413 before it is parsed: at once when Content-Length says so, as soon as
  the bytes read pass the cap otherwise (chunked bodies).
- `AuthFailureMiddleware`: a client address that received `ARSIGHT_AUTH_FAILURE_LIMIT`
  (default 20) 401 answers within `ARSIGHT_AUTH_FAILURE_WINDOW_SECONDS` (default 60) gets 429
  with Retry-After on /v1 and on the sign-in form until the oldest of those failures leaves
  the window; the open endpoints and signed-in pages keep answering. Counting 401s at the
  edge covers every way a key is checked (API header, sign-in form).
- `TimedH11Protocol`: uvicorn's HTTP/1.1 protocol with a read deadline. A request whose
  headers and body have not all arrived `ARSIGHT_REQUEST_READ_TIMEOUT_SECONDS` (default 5)
  after the connection opened or the previous response ended is cut off (the connection is
  closed), so a half-sent request holds no connection and no worker for long. Uvicorn itself
  only times out idle keep-alive connections.

Both middlewares sit inside the request-id middleware, so their answers carry the request id.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from serving.settings import get_serving_settings

MAX_TRACKED_CLIENTS = 10_000
GUARDED_PREFIXES = ("/v1/", "/ui/login")


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when the body read passes the cap (answered 413 with request id)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


async def _json_error(
    scope: Scope, send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]
) -> None:
    request_id = scope.get("state", {}).get("request_id", "")
    body = json.dumps({"detail": detail, "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for a body over `max_bytes` (pure ASGI, see the module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            detail = f"request body larger than {self.max_bytes} bytes"
            await _json_error(scope, send, 413, detail, [(b"connection", b"close")])
            return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, capped, send)


class AuthFailureLimiter:
    """Failed authentications per client address in a sliding window (thread-safe)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again; None when it is not blocked."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.limit:
                return None
            return max(1, math.ceil(times[-self.limit] + self.window - now))

    def record_failure(self, client: str) -> None:
        """Count one failed authentication; the least recent clients are forgotten first."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)


class AuthFailureMiddleware:
    """429 with Retry-After for a client with too many recent 401s (see module docstring)."""

    def __init__(self, app: ASGIApp, limiter: AuthFailureLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.retry_after(client)
        if wait is not None:
            detail = f"too many failed authentications from this address; retry in {wait} s"
            await _json_error(scope, send, 429, detail, [(b"retry-after", str(wait).encode())])
            return

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.record_failure(client)
            await send(message)

        await self.app(scope, receive, counting)


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each whole request.

    uvicorn builds one instance per connection from an import string (so every worker
    process can), hence the deadline is read from the process's settings here.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = get_serving_settings().request_read_timeout_seconds
        self._read_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._expire)

    def _received_whole_request(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete and not cycle.more_body

    def _expire(self) -> None:
        if self._received_whole_request() or self.transport.is_closing():
            return  # the app is answering a complete request; no deadline for that
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        super().connection_lost(exc)
