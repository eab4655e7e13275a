"""API keys: hashing, both configuration sources, and 401/403 through the real app."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.auth import bearer_key, hash_key, load_key_ring, parse_keys_file, require_role
from serving.errors import AuthError, ForbiddenError
from tests.serving.conftest import AUTH


def test_plain_keys_are_held_only_as_hashes() -> None:
    ring = load_key_ring("crm:k1, risk:k2", None)
    assert ring.entries == (("crm", hashlib.sha256(b"k1").hexdigest()), ("risk", hash_key("k2")))
    assert ring.role_of("k2") == "risk"
    with pytest.raises(AuthError, match="^invalid API key$"):
        ring.role_of("k3")


def test_keys_file_of_hashes(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# production keys\n\nadmin:{hash_key('secret').upper()}\n")
    ring = load_key_ring(None, path)
    assert ring.role_of("secret") == "admin"
    path.write_text("admin:abc\n")
    with pytest.raises(ValueError) as info:
        parse_keys_file(path)
    assert str(info.value) == f"{path} line 1: expected role:<64 hex chars of sha256>"
    path.write_text(f"boss:{hash_key('x')}\n")
    with pytest.raises(ValueError) as info:
        parse_keys_file(path)
    assert str(info.value) == (
        f"{path} line 1: unknown role 'boss'; "
        "expected one of ['crm', 'risk', 'collections', 'admin']"
    )


def test_plain_keys_errors() -> None:
    with pytest.raises(ValueError, match=r"^ARSIGHT_API_KEYS item 2: expected role:key$"):
        load_key_ring("crm:a,risk", None)


def test_bearer_header_and_roles() -> None:
    assert bearer_key("Bearer abc ") == "abc"
    assert bearer_key("bearer abc") == "abc"
    with pytest.raises(AuthError, match=r"^missing API key: send Authorization: Bearer <key>$"):
        bearer_key(None)
    with pytest.raises(AuthError, match=r"^malformed Authorization header: expected Bearer"):
        bearer_key("Basic abc")
    require_role("admin", ("risk",))
    with pytest.raises(ForbiddenError) as info:
        require_role("crm", ("risk",))
    assert str(info.value) == "role 'crm' may not call this endpoint; allowed: ['risk']"


def test_api_401_without_or_with_a_wrong_key(client: TestClient, scored_ids: list[str]) -> None:
    body = {"customer_ids": scored_ids[:1]}
    missing = client.post("/v1/scores", json=body)
    assert missing.status_code == 401
    assert missing.json()["detail"] == "missing API key: send Authorization: Bearer <key>"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/v1/scores", json=body, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "invalid API key")


def test_api_403_for_a_wrong_role(client: TestClient, scored_ids: list[str]) -> None:
    forbidden = client.get(f"/v1/customers/{scored_ids[0]}", headers=AUTH["crm"])
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == (
        "role 'crm' may not call this endpoint; allowed: ['risk']"
    )
    assert client.get(f"/v1/customers/{scored_ids[0]}", headers=AUTH["admin"]).status_code == 200
    assert client.get("/v1/model", headers=AUTH["crm"]).status_code == 200


def test_open_endpoints_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
