"""A registry that refuses connections, hangs, or whose SQLite file goes missing and comes back.

Real pieces only: the app with its refresher, a SQLite MLflow registry, a local TCP server that
accepts connections and never answers (what a hung database or proxy looks like), PostgreSQL
URLs aimed at it.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.model_loader import ModelSource
from serving.refresher import Refresher
from tests.serving.conftest import AUTH, Registry, make_settings


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose server accepts every connection and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture
def registry_copy(tmp_path: Path, registry: Registry) -> str:
    """A private copy of the session registry's database (artifacts stay shared)."""
    source = Path(registry.uri.removeprefix("sqlite:///"))
    copy = tmp_path / "registry" / "mlflow.db"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    return f"sqlite:///{copy}"


def test_refused_connections_at_start_still_bind_and_say_why(
    tmp_path: Path, store_path: Path, registry: Registry
) -> None:
    settings = make_settings(
        tmp_path,
        store_path,
        registry,
        tracking_uri="postgresql+psycopg://postgres@127.0.0.1:1/nope",
        registry_timeout_seconds=2.0,
    )
    started = time.monotonic()
    with TestClient(create_app(settings)) as client:
        bound = time.monotonic() - started
        health = client.get("/healthz")
        ready = client.get("/readyz")
    assert bound < 10, f"start-up took {bound:.1f} s"
    assert health.status_code == 200
    assert ready.status_code == 503
    (problem,) = ready.json()["problems"]
    assert problem.startswith("model registry at postgresql+psycopg://")
    assert problem.endswith(
        "cannot resolve models:/arsight@champion: (psycopg.OperationalError) "
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'
    )


def test_hanging_registry_degrades_while_the_last_good_model_serves(
    tmp_path: Path, store_path: Path, registry: Registry, silent_port: int, scored_ids: list[str]
) -> None:
    app = create_app(make_settings(tmp_path, store_path, registry))
    hung = f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/test"
    with TestClient(app) as client:
        refresher: Refresher = app.state.refresher
        refresher.source = ModelSource(hung, "arsight", "champion", timeout_seconds=1.0)
        started = time.monotonic()
        assert refresher.refresh() is False
        first_cycle = time.monotonic() - started
        time.sleep(1.2)
        assert refresher.refresh() is False  # the stuck call is not started again
        ready = client.get("/readyz").json()
        score = client.post(
            "/v1/scores", json={"customer_ids": scored_ids[:1]}, headers=AUTH["crm"]
        )
    assert first_cycle < 5, f"a cycle against a hung registry took {first_cycle:.1f} s"
    assert ready["status"] == "degraded"
    (problem,) = ready["problems"]
    assert problem.startswith("model registry at postgresql+psycopg://")
    assert re.search(r" not answering for [2-9] s; serving last good models:/arsight/1$", problem)
    assert score.status_code == 200


def test_server_started_during_a_hang_binds_quickly(
    tmp_path: Path, store_path: Path, registry: Registry, silent_port: int
) -> None:
    hung = f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/test"
    settings = make_settings(
        tmp_path, store_path, registry, tracking_uri=hung, registry_timeout_seconds=1.0
    )
    started = time.monotonic()
    with TestClient(create_app(settings)) as client:
        bound = time.monotonic() - started
        ready = client.get("/readyz")
    assert bound < 5, f"start-up took {bound:.1f} s"
    assert ready.status_code == 503
    assert "not answering for 1 s" in ready.json()["problems"][0]


def test_missing_sqlite_registry_is_refused_not_created(
    tmp_path: Path, store_path: Path, registry: Registry
) -> None:
    missing = tmp_path / "gone" / "mlflow.db"
    settings = make_settings(tmp_path, store_path, registry, tracking_uri=f"sqlite:///{missing}")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "the registry database does not exist" in ready.json()["problems"][0]
    assert not missing.exists() and not missing.parent.exists()


def test_restored_sqlite_registry_is_reconnected(
    tmp_path: Path, store_path: Path, registry: Registry, registry_copy: str
) -> None:
    database = Path(registry_copy.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    shutil.copy(database, backup)
    app = create_app(make_settings(tmp_path, store_path, registry, tracking_uri=registry_copy))
    with TestClient(app) as client:
        refresher: Refresher = app.state.refresher
        assert client.get("/readyz").json()["status"] == "ready", refresher.problems
        database.unlink()
        assert refresher.refresh() is False
        missing = client.get("/readyz").json()
        assert not database.exists()  # nothing created in its place
        shutil.copy(backup, database)  # restored: same content, a new file
        refresher.refresh()
        restored = client.get("/readyz").json()
    assert missing["status"] == "degraded", missing
    assert "the registry database does not exist" in missing["problems"][0]
    assert (restored["status"], restored["problems"]) == ("ready", [])
