"""Session cookies, sign-in tokens and CSRF: signed, expiring, revocable, constant-time."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from serving.auth import hash_key, load_key_ring
from serving.errors import AuthError, ForbiddenError
from serving.pages.session import (
    MAX_AGE_SECONDS,
    PageSession,
    SessionSigner,
    csrf_matches,
    process_secret,
    session_secret,
    start_session,
    still_valid,
)
from serving.pages.signin import safe_next
from serving.settings import ServingSettings

KEYS = load_key_ring("crm:c-key,risk:r-key,admin:a-key", None)


def test_session_round_trip() -> None:
    signer = SessionSigner("secret")
    session = start_session(KEYS, " r-key ")
    assert session.role == "risk" and session.key_hash == hash_key("r-key")
    assert len(session.csrf) >= 40
    assert signer.load_session(signer.dump_session(session)) == session


def test_tampered_or_foreign_cookies_are_refused() -> None:
    token = SessionSigner("secret").dump_session(PageSession("risk", hash_key("r-key"), "t"))
    assert SessionSigner("other-secret").load_session(token) is None
    assert SessionSigner("secret").load_session(token[:-2] + "xx") is None
    assert SessionSigner("secret").load_session(None) is None
    assert SessionSigner("secret").load_session("") is None


class _Backdated(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - MAX_AGE_SECONDS - 5


def test_expired_sessions_are_refused() -> None:
    old = URLSafeTimedSerializer("secret", salt="arsight.pages.session", signer=_Backdated)
    token = old.dumps(["risk", hash_key("r-key"), "t"])
    assert SessionSigner("secret").load_session(token) is None


def test_only_risk_and_admin_keys_open_pages() -> None:
    assert start_session(KEYS, "a-key").role == "admin"
    with pytest.raises(ForbiddenError) as forbidden:
        start_session(KEYS, "c-key")
    assert str(forbidden.value) == "role 'crm' may not call this endpoint; allowed: ['risk']"
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
