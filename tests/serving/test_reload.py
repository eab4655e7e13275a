"""Hot reload: a newer store or champion without a restart, refusals, an unreachable registry."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.catalog import feature_names
from features.store import write_online_store
from models.bundle import ModelBundle
from serving.app import create_app
from serving.metrics import ServingMetrics
from serving.model_loader import ModelSource
from serving.policy import load_policy
from serving.refresher import Refresher
from serving.routes.health import readiness
from tests.conftest import fit_tiny_bundle
from tests.serving.conftest import AUTH, Registry, make_settings

NARROW_MISSING = ["customer_country", "customer_tenure_days"]


def _refresher(source: ModelSource, store: Path, freeze_heap: bool = False) -> Refresher:
    """A refresher without a poll thread, refreshed by hand."""
    return Refresher(
        source, str(store), load_policy(), 3, ServingMetrics(), freeze_heap=freeze_heap
    )


@pytest.fixture(scope="module")
def narrow_bundle(training_frame: pd.DataFrame) -> ModelBundle:
    names = [n for n in feature_names() if n not in NARROW_MISSING]
    return fit_tiny_bundle(training_frame, names)


def test_newer_store_is_polled_and_swapped_without_failing_requests(
    tmp_path: Path,
    store_path: Path,
    store_frame: pd.DataFrame,
    registry: Registry,
    scored_ids: list[str],
) -> None:
    settings = make_settings(tmp_path, store_path, registry, poll_seconds=0.2)
    statuses: list[int] = []
    stop = threading.Event()
    with TestClient(create_app(settings)) as client:

        def hammer() -> None:
            while not stop.is_set():
                body = {"customer_ids": scored_ids[:2]}
                statuses.append(
                    client.post("/v1/scores", json=body, headers=AUTH["crm"]).status_code
                )

        worker = threading.Thread(target=hammer)
        worker.start()
        write_online_store(store_frame.assign(as_of=pd.Timestamp("2024-04-30")), store_path)
        deadline = time.monotonic() + 20
        while client.get("/readyz").json()["features_as_of"] != "2024-04-30":
            assert time.monotonic() < deadline, "new store not picked up within 20 s"
            time.sleep(0.1)
        stop.set()
        worker.join()
        score = client.post(
            "/v1/scores", json={"customer_ids": scored_ids[:1]}, headers=AUTH["crm"]
        )
    assert score.json()["scores"][0]["features_as_of"] == "2024-04-30"
    assert len(statuses) > 0 and set(statuses) == {200}


def test_newer_champion_swapped_and_inconsistent_one_refused(
    tmp_path: Path,
    store_path: Path,
    registry: Registry,
    tiny_bundle: ModelBundle,
    narrow_bundle: ModelBundle,
    scored_ids: list[str],
) -> None:
    registry.register(tiny_bundle, name="arsight-hot")
    settings = make_settings(tmp_path, store_path, registry, model_name="arsight-hot")
    app = create_app(settings)
    body = {"customer_ids": scored_ids[:1]}
    with TestClient(app) as client:
        assert client.get("/v1/model", headers=AUTH["crm"]).json()["version"] == "1"
        registry.register(tiny_bundle, name="arsight-hot")
        assert app.state.refresher.refresh() is True
        assert (
            client.post("/v1/scores", json=body, headers=AUTH["crm"]).json()["scores"][0][
                "model_version"
            ]
            == "2"
        )
        registry.register(narrow_bundle, name="arsight-hot")
        assert app.state.refresher.refresh() is False
        ready = client.get("/readyz")
        served = client.post("/v1/scores", json=body, headers=AUTH["crm"])
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "model": "models:/arsight-hot/2",
        "features_as_of": "2024-03-31",
        "problems": [
            "model arsight-hot v3 refused: its features differ from the online store's: "
            f"only in the model [], only in the store {NARROW_MISSING}"
        ],
    }
    assert served.json()["scores"][0]["model_version"] == "2"


def test_inconsistent_champion_at_start_is_not_ready(
    tmp_path: Path, store_path: Path, registry: Registry, narrow_bundle: ModelBundle
) -> None:
    registry.register(narrow_bundle, name="arsight-narrow")
    settings = make_settings(tmp_path, store_path, registry, model_name="arsight-narrow")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["problems"] == [
        "model arsight-narrow v1 refused: its features differ from the online store's: "
        f"only in the model [], only in the store {NARROW_MISSING}"
    ]


def test_unreachable_registry_keeps_the_last_good_model(
    monkeypatch: pytest.MonkeyPatch, store_path: Path, registry: Registry
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    good = ModelSource(registry.uri, "arsight", "champion")
    state = _refresher(good, store_path)
    assert state.refresh() is True
    served = state.served
    state.source = ModelSource("http://127.0.0.1:9", "arsight", "champion")
    assert state.refresh() is False
    assert state.served is served
    problem = state.problems["registry"]
    assert problem.startswith(
        "model registry at http://127.0.0.1:9: cannot resolve models:/arsight@champion: "
    )
    assert problem.endswith("; serving last good models:/arsight/1")
    assert readiness(state).status == "degraded"
    state.source = good
    assert state.refresh() is False
    assert state.problems == {}
    assert readiness(state).status == "ready"


def test_unexpected_cycle_error_shows_on_readyz_until_a_cycle_completes(
    tmp_path: Path, store_path: Path, registry: Registry
) -> None:
    app = create_app(make_settings(tmp_path, store_path, registry))
    with TestClient(app) as client:
        refresher: Refresher = app.state.refresher
        source = refresher.source
        refresher.source = None  # type: ignore[assignment]  # a bug nobody anticipated
        refresher.run_once()
        refresher.source = source
        degraded = client.get("/readyz")
        failed = client.get("/metrics").text
        app.state.refresher.refresh()  # the app's own cycle, completing
        ready = client.get("/readyz")

    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["problems"] == [
        "refresh cycle failed: AttributeError: 'NoneType' object has no attribute 'resolve'"
    ]
    assert 'arsight_reloads_total{outcome="failed"} 1.0' in failed
    assert (ready.json()["status"], ready.json()["problems"]) == ("ready", [])


def test_store_problem_clears_when_the_same_store_is_back(
    store_path: Path, registry: Registry
) -> None:
    state = _refresher(ModelSource(registry.uri, "arsight", "champion"), store_path)
    assert state.refresh() is True
    moved = store_path.with_suffix(".moved")
    store_path.rename(moved)
    try:
        assert state.refresh() is False
        assert state.problems == {"load": f"online store {store_path}: no such file"}
    finally:
        moved.rename(store_path)

    assert state.refresh() is False  # nothing new
    assert state.problems == {}
    assert readiness(state).status == "ready"


def test_not_ready_lists_registry_and_store_problems(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, registry: Registry
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    missing = tmp_path / "none.parquet"
    settings = make_settings(tmp_path, missing, registry, tracking_uri="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    registry_problem, store_problem = ready.json()["problems"]
    assert registry_problem.startswith(
        "model registry at http://127.0.0.1:9: cannot resolve models:/arsight@champion: "
    )
    assert store_problem == "online store …/none.parquet: no such file"  # /readyz shows no dirs


def test_swap_freezes_the_long_lived_heap(store_path: Path, registry: Registry) -> None:
    source = ModelSource(registry.uri, "arsight", "champion")
    state = _refresher(source, store_path, freeze_heap=True)
    try:
        assert state.refresh() is True
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
