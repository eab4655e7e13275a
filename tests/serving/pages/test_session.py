"""Session cookies, sign-in tokens and CSRF: signed, expiring, revocable, constant-time."""

from __future__ import annotations

import base64
import time

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from serving.auth import hash_key, load_key_ring
from serving.errors import AuthError, ForbiddenError
from serving.pages.session import (
    MAX_AGE_SECONDS,
    SESSION_COOKIE,
    PageSession,
    SessionSigner,
    SessionTable,
    csrf_matches,
    process_secret,
    session_secret,
    start_session,
    still_valid,
)
from serving.pages.signin import safe_next
from serving.settings import ServingSettings
from tests.serving.conftest import KEYS as APP_KEYS
from tests.serving.pages.conftest import csrf_of

KEYS = load_key_ring("crm:c-key,risk:r-key,admin:a-key", None)


def test_session_round_trip() -> None:
    signer, table = SessionSigner("secret"), SessionTable()
    session = start_session(KEYS, " r-key ")
    assert session.role == "risk" and session.key_hash == hash_key("r-key")
    assert len(session.csrf) >= 40
    session_id = table.open(session)
    assert len(session_id) == 43
    assert table.get(signer.load_session(signer.dump_session(session_id))) == session


def test_tampered_or_foreign_cookies_are_refused() -> None:
    token = SessionSigner("secret").dump_session("some-session-id")
    assert SessionSigner("other-secret").load_session(token) is None
    assert SessionSigner("secret").load_session(token[:-2] + "xx") is None
    assert SessionSigner("secret").load_session(None) is None
    assert SessionSigner("secret").load_session("") is None


def test_revoked_expired_and_unknown_sessions_are_gone() -> None:
    table = SessionTable(max_age=60, capacity=2)
    first = table.open(start_session(KEYS, "r-key"))
    table.revoke(first)
    assert table.get(first) is None and table.get("never-opened") is None and len(table) == 0
    old = table.open(PageSession("risk", hash_key("r-key"), "t", started=time.time() - 61))
    assert table.get(old) is None and len(table) == 0
    ids = [table.open(start_session(KEYS, "r-key")) for _ in range(3)]
    assert [table.get(i) is not None for i in ids] == [False, True, True]


class _Backdated(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - MAX_AGE_SECONDS - 5


def test_expired_sessions_are_refused() -> None:
    old = URLSafeTimedSerializer("secret", salt="arsight.pages.session", signer=_Backdated)
    token = old.dumps("some-session-id")
    assert SessionSigner("secret").load_session(token) is None


def test_only_risk_collections_and_admin_keys_open_pages() -> None:
    assert start_session(KEYS, "a-key").role == "admin"
    with pytest.raises(ForbiddenError) as forbidden:
        start_session(KEYS, "c-key")
    assert str(forbidden.value) == (
        "role 'crm' may not call this endpoint; allowed: ['risk', 'collections']"
    )
    with pytest.raises(AuthError, match="^invalid API key$"):
        start_session(KEYS, "nope")


def test_removing_a_key_ends_its_sessions() -> None:
    session = start_session(KEYS, "r-key")
    assert still_valid(KEYS, session)
    assert not still_valid(load_key_ring("risk:another-key", None), session)
    assert not still_valid(KEYS, PageSession("crm", hash_key("c-key"), "t"))


def test_csrf_comparison() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches("abc", None)
    assert not csrf_matches("abc", "")


def test_sign_in_token_must_carry_the_cookie_nonce() -> None:
    signer = SessionSigner("secret")
    nonce, token = signer.login_pair()
    assert signer.login_token_matches(token, nonce)
    other_nonce, other_token = signer.login_pair()
    assert not signer.login_token_matches(token, other_nonce)
    assert not signer.login_token_matches(other_token, nonce)
    assert not signer.login_token_matches(nonce, nonce)
    assert not SessionSigner("other").login_token_matches(token, nonce)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/customers/C1?x=1", "/ui/customers/C1?x=1"),
        ("/ui/deals", "/ui/deals"),
        ("https://evil.example/ui", "/ui/"),
        ("//evil.example", "/ui/"),
        ("/ui//evil.example", "/ui/"),
        ("/ui\\\\evil", "/ui/"),
        ("/v1/model", "/ui/"),
        (None, "/ui/"),
    ],
)
def test_next_stays_on_the_pages(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_session_secret_from_the_environment_or_random_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARSIGHT_SESSION_SECRET", "from-env")
    assert session_secret(ServingSettings(_env_file=None)) == "from-env"
    assert "from-env" not in repr(ServingSettings(_env_file=None))
    monkeypatch.delenv("ARSIGHT_SESSION_SECRET")
    drawn = session_secret(ServingSettings(_env_file=None))
    assert drawn == process_secret() == session_secret(ServingSettings(_env_file=None))
    assert len(drawn) == 43


def _payload(cookie: str) -> bytes:
    encoded = cookie.split(".")[0]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def test_sign_out_revokes_the_cookie_and_it_holds_no_key_material(
    risk_client: TestClient,
) -> None:
    cookie = risk_client.cookies[SESSION_COOKIE]
    payload = _payload(cookie)
    assert hash_key(APP_KEYS["risk"]).encode() not in payload
    assert APP_KEYS["risk"].encode() not in payload
    assert payload.startswith(b'"') and len(payload) == 45  # the JSON string of a random id
    page = risk_client.get("/ui/")
    assert page.status_code == 200
    assert risk_client.post("/ui/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    risk_client.cookies.set(SESSION_COOKIE, cookie, path="/ui")  # the old cookie, replayed
    replayed = risk_client.get("/ui/")
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/ui/login?next=%2Fui%2F")
