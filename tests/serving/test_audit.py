"""The audit log: migrations, rows, history, no row lost under concurrency, write failures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.audit import MIGRATIONS, VERSION_TABLE, AuditLog
from serving.errors import AuditError
from tests.serving.conftest import AUTH, Registry, make_settings

CONCURRENT = 40


def row(customer: str, request_id: str = "r1", tier: str = "green") -> dict[str, object]:
    return {
        "request_id": request_id,
        "caller_role": "risk",
        "endpoint": "scores",
        "customer_id": customer,
        "model_name": "arsight",
        "model_version": "1",
        "policy_version": "p1",
        "features_as_of": date(2024, 3, 31),
        "risk_tier": tier,
        "overdue_probability": 0.1,
        "dso_30d": 30.0,
        "decision": None,
        "outputs": {"risk_tier": tier},
        "reasons": {"overdue": [], "dso": []},
    }


def test_migrate_is_idempotent_and_history_is_newest_first(tmp_path: Path) -> None:
    audit = AuditLog(f"sqlite:///{tmp_path / 'a' / 'audit.db'}")
    audit.migrate()
    audit.migrate()
    audit.write([row("C1", "r1", "green")])
    audit.write([row("C1", "r2", "red"), row("C2", "r2")])
    history = audit.history("C1")
    assert [h["request_id"] for h in history] == ["r2", "r1"]
    assert history[0]["outputs"] == {"risk_tier": "red"}
    assert history[0]["created_at"].tzinfo is not None
    assert (audit.count(), audit.count("r2")) == (3, 2)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with audit.engine.connect() as connection:
        version = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
        assert version.scalar_one() == head


def test_failed_write_raises_and_writes_nothing(tmp_path: Path) -> None:
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.db'}")
    audit.migrate()
    bad = row("C2") | {"risk_tier": None}
    with pytest.raises(AuditError, match="^audit log unavailable: the decision was not recorded$"):
        audit.write([row("C1"), bad])
    assert audit.count() == 0


def hammer(client: TestClient, ids: list[str]) -> list[int]:
    def one(i: int) -> int:
        body = {"customer_ids": [ids[i % len(ids)]]}
        return client.post("/v1/scores", json=body, headers=AUTH["crm"]).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(CONCURRENT)))


def test_no_row_lost_under_concurrency_sqlite(client: TestClient, scored_ids: list[str]) -> None:
    statuses = hammer(client, scored_ids)
    audit = client.app.state.audit  # type: ignore[attr-defined]
    assert statuses == [200] * CONCURRENT
    assert audit.count() == CONCURRENT
    with audit.engine.connect() as connection:
        distinct = sa.text("SELECT COUNT(DISTINCT request_id) FROM audit_events")
        assert connection.execute(distinct).scalar_one() == CONCURRENT


def test_audit_outage_is_503_and_counted(
    tmp_path: Path, store_path: Path, registry: Registry, scored_ids: list[str]
) -> None:
    settings = make_settings(tmp_path, store_path, registry)
    with TestClient(create_app(settings)) as client:
        with client.app.state.audit.engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(sa.text("DROP TABLE audit_events"))
        response = client.post(
            "/v1/scores", json={"customer_ids": scored_ids[:1]}, headers=AUTH["crm"]
        )
        metrics = client.get("/metrics").text
    assert response.status_code == 503
    assert response.json()["detail"] == "audit log unavailable: the decision was not recorded"
    assert "arsight_audit_write_failures_total 1.0" in metrics


@pytest.mark.postgres
def test_no_row_lost_under_concurrency_postgres(
    tmp_path: Path, store_path: Path, registry: Registry, scored_ids: list[str], postgres_url: str
) -> None:
    settings = make_settings(tmp_path, store_path, registry, audit_db_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        statuses = hammer(client, scored_ids)
        audit = client.app.state.audit  # type: ignore[attr-defined]
        assert statuses == [200] * CONCURRENT
        assert audit.count() == CONCURRENT
        history = client.get(f"/v1/customers/{scored_ids[0]}", headers=AUTH["risk"]).json()
    expected = len([i for i in range(CONCURRENT) if i % len(scored_ids) == 0])
    assert len(history["history"]) == expected
