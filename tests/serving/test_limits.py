"""Limits: body size cap, per-client limit on failed authentications, and a read deadline for
half-sent requests on a real uvicorn server (issue 15, item 10)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.conftest import AUTH, KEYS, Registry, make_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limited(tmp_path: Path, session_store: Path, registry: Registry) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path, session_store, registry, max_body_bytes=2048, auth_failure_limit=3
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_bodies_over_the_cap_are_413_with_request_id(
    limited: TestClient, scored_ids: list[str]
) -> None:
    body = {"customer_ids": scored_ids[:1] * 300}  # about 2.7 KB
    declared = limited.post("/v1/scores", json=body, headers=AUTH["crm"])
    assert declared.status_code == 413
    assert declared.json() == {
        "detail": "request body larger than 2048 bytes",
        "request_id": declared.headers["x-request-id"],
    }
    chunks = (b'{"customer_ids": [' + b'"C000001",' * 300, b'"C000001"]}')
    chunked = limited.post("/v1/scores", content=iter(chunks), headers=AUTH["crm"])
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413
    assert chunked.json()["detail"] == "request body larger than 2048 bytes"
    assert chunked.json()["request_id"] == chunked.headers["x-request-id"]
    small = limited.post("/v1/scores", json={"customer_ids": scored_ids[:2]}, headers=AUTH["crm"])
    assert small.status_code == 200


def test_failed_authentications_are_limited_per_client(
    limited: TestClient, scored_ids: list[str]
) -> None:
    body = {"customer_ids": scored_ids[:1]}
    wrong = {"Authorization": "Bearer guess"}
    assert [limited.post("/v1/scores", json=body, headers=wrong).status_code for _ in range(3)] == [
        401,
        401,
        401,
    ]
    blocked = limited.post("/v1/scores", json=body, headers=AUTH["crm"])
    assert blocked.status_code == 429
    wait = int(blocked.headers["retry-after"])
    assert 55 <= wait <= 60
    assert blocked.json() == {
        "detail": f"too many failed authentications from this address; retry in {wait} s",
        "request_id": blocked.headers["x-request-id"],
    }
    assert limited.get("/ui/login").status_code == 429
    assert limited.get("/healthz").status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, session_store: Path, registry: Registry) -> Iterator[int]:
    """`arsight serve` in a subprocess with a 2 s read deadline; yields its port."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ARSIGHT_HOME": str(tmp_path),
        "ARSIGHT_ONLINE_STORE": str(session_store),
        "MLFLOW_TRACKING_URI": registry.uri,
        "ARSIGHT_API_KEYS": f"crm:{KEYS['crm']}",
        "ARSIGHT_POLL_SECONDS": "0",
        "ARSIGHT_REQUEST_READ_TIMEOUT_SECONDS": "2",
    }
    code = "import sys; from arsight.cli import app; sys.argv[0] = 'arsight'; app()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("wb"),
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "server.log").read_text())
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _seconds_until_closed(port: int, sent: bytes) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        started = time.monotonic()
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
        return time.monotonic() - started, received


def test_half_sent_requests_are_cut_off(server: int) -> None:
    for half_sent in (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"POST /v1/scores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"customer_ids": [',
    ):
        seconds, received = _seconds_until_closed(server, half_sent)
        assert received == b""
        assert 1.5 <= seconds <= 5.0
    with httpx.Client(base_url=f"http://127.0.0.1:{server}") as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(1)  # a kept-alive connection used again within the deadline still works
        assert client.get("/healthz").status_code == 200
