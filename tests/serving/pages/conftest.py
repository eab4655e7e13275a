"""Fixtures of the pages tests: an app over the batch tests' two nightly runs, signed in.

The serving fixtures (synthetic world, tiny champion in a SQLite MLflow store) and the batch
fixtures (the world on disk, two scoring runs a month apart, the second refreshing the online
store) are reused as they are; each test gets its own audit database, so deals submitted in
one test never show up in another's history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import ServingSettings
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401
from tests.serving.conftest import KEYS, Registry, make_settings

TOKEN = re.compile(r'name="token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def pages_settings_for(
    home: Path, runs: TwoRuns, registry: Registry, **extra: object
) -> ServingSettings:
    """Settings reading the batch runs and data of `runs`, with a private audit log."""
    values: dict[str, object] = {
        "runs_dir": str(runs.home / "runs"),
        "data_dir": str(runs.data),
        "audit_db_url": f"sqlite:///{home / 'audit.db'}",
        "session_secret": "pages-test-secret",
    }
    store = runs.home / "store" / "online.parquet"
    return make_settings(home, store, registry, **(values | extra))


@pytest.fixture
def pages_settings(
    tmp_path: Path,
    two_runs: TwoRuns,
    registry: Registry,
) -> ServingSettings:
    return pages_settings_for(tmp_path, two_runs, registry)


@pytest.fixture
def pages_client(pages_settings: ServingSettings) -> Iterator[TestClient]:
    with TestClient(create_app(pages_settings), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, key: str, next_path: str = "/ui/") -> tuple[int, str]:
    """Fill the sign-in form with `key`; (status, page or redirect target)."""
    form = client.get("/ui/login")
    token = TOKEN.search(form.text)
    assert token is not None
    response = client.post(
        "/ui/login", data={"api_key": key, "token": token.group(1), "next": next_path}
    )
    return response.status_code, response.headers.get("location", response.text)


@pytest.fixture
def risk_client(pages_client: TestClient) -> TestClient:
    """A client signed in with the risk key."""
    assert sign_in(pages_client, KEYS["risk"]) == (303, "/ui/")
    return pages_client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found is not None
    return found.group(1)
