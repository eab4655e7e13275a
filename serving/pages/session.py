"""Sign-in, the server-side session table and CSRF tokens of the risk officers' pages.

A risk officer signs in with an API key of role `risk` (admin may too, as for the API). The
key itself is never stored. Signing in opens a session in the app's `SessionTable`, held in
the server's memory: the role, the SHA-256 of the key (the form a keys file holds, to check
on each request that the key is still configured) and a random CSRF token. The cookie carries
only the session's random id, signed with itsdangerous under the session secret: no key
material, nothing that outlives the session. Signing out deletes the session from the table,
so a copy of the old cookie opens nothing; removing a key from the key ring ends its sessions
at once; a session ends `MAX_AGE_SECONDS` after sign-in, and all of them when the server
restarts (as they did with the random per-process secret). The table lives in one process:
with `arsight serve --workers N` a session is known only to the worker that opened it, so run
the pages with one worker (or a proxy with sticky sessions).

The cookie is HttpOnly (no script can read it), SameSite=Strict (no other site can make the
browser send it) and Secure when the request came over HTTPS. Every form carries the session's
CSRF token, compared in constant time; the sign-in form, used before there is a session, uses
a double-submit token: a random nonce in a short-lived cookie, the same nonce signed in the
form.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeTimedSerializer

from serving.auth import KeyRing, Role, hash_key, require_role
from serving.settings import ServingSettings

SESSION_COOKIE = "arsight_session"
LOGIN_COOKIE = "arsight_login"
COOKIE_PATH = "/ui"
MAX_AGE_SECONDS = 8 * 3600
LOGIN_MAX_AGE_SECONDS = 15 * 60
MAX_SESSIONS = 10_000
PAGE_ROLES: tuple[Role, ...] = ("risk", "collections")
RISK_PAGE_ROLES: tuple[Role, ...] = ("risk", "admin")
"""Who sees the credit pages (portfolio, customers, deals, cases, terms review), as the API
lets only risk read a customer or decide a case; collections works from the Today page."""


@lru_cache(maxsize=1)
def process_secret() -> str:
    """A random secret drawn once per process, used when ARSIGHT_SESSION_SECRET is unset."""
    return secrets.token_urlsafe(32)


def session_secret(settings: ServingSettings) -> str:
    """The configured session secret, else the per-process random one."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    return process_secret()


@dataclass(frozen=True)
class PageSession:
    """A signed-in risk officer: role, hash of the key used, and the CSRF token of forms."""

    role: Role
    key_hash: str
    csrf: str
    started: float = field(default_factory=time.time, compare=False)


class SessionTable:
    """Open sessions by random id, in memory; thread-safe (pages run in the thread pool).

    At most `capacity` sessions: opening one more drops the oldest, so repeated sign-ins
    cannot grow the process without bound.
    """

    def __init__(self, max_age: float = MAX_AGE_SECONDS, capacity: int = MAX_SESSIONS) -> None:
        self.max_age = max_age
        self.capacity = capacity
        self._open: OrderedDict[str, PageSession] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, session: PageSession) -> str:
        """Store `session` under a new random id and return the id."""
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._open[session_id] = session
            while len(self._open) > self.capacity:
                self._open.popitem(last=False)
        return session_id

    def get(self, session_id: str | None) -> PageSession | None:
        """The open session of `session_id`; None when unknown, revoked or expired."""
        if not session_id:
            return None
        with self._lock:
            session = self._open.get(session_id)
            if session is not None and time.time() - session.started > self.max_age:
                del self._open[session_id]
                return None
        return session

    def revoke(self, session_id: str | None) -> None:
        """End the session (sign-out); unknown ids are ignored."""
        with self._lock:
            self._open.pop(session_id or "", None)

    def __len__(self) -> int:
        return len(self._open)


def start_session(keys: KeyRing, api_key: str) -> PageSession:
    """A new session for `api_key`: AuthError for an unknown key, ForbiddenError for crm."""
    role = keys.role_of(api_key.strip())
    require_role(role, PAGE_ROLES)
    return PageSession(
        role=role, key_hash=hash_key(api_key.strip()), csrf=secrets.token_urlsafe(32)
    )


def still_valid(keys: KeyRing, session: PageSession) -> bool:
    """True while the session's key is configured with the same role and may see pages."""
    allowed = session.role == "admin" or session.role in PAGE_ROLES
    return allowed and (session.role, session.key_hash) in keys.entries


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison of the form's token with the session's."""
    if not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


class SessionSigner:
    """Signs and reads session-id cookies and sign-in form tokens with one secret."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="arsight.pages.session")
        self._login = URLSafeTimedSerializer(secret, salt="arsight.pages.login")

    def dump_session(self, session_id: str) -> str:
        """The cookie value carrying `session_id` (and nothing else)."""
        return self._session.dumps(session_id)

    def load_session(self, token: str | None) -> str | None:
        """The session id in a cookie value; None when absent, tampered with or expired."""
        if not token:
            return None
        try:
            session_id = self._session.loads(token, max_age=MAX_AGE_SECONDS)
        except (BadSignature, ValueError, TypeError):
            return None
        return session_id if isinstance(session_id, str) else None

    def login_pair(self) -> tuple[str, str]:
        """(nonce for the sign-in cookie, signed token for the sign-in form)."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._login.dumps(nonce)

    def login_token_matches(self, token: str | None, nonce: str | None) -> bool:
        """True when the form's signed token is fresh and carries the cookie's nonce."""
        if not token or not nonce:
            return False
        try:
            signed = self._login.loads(token, max_age=LOGIN_MAX_AGE_SECONDS)
        except BadSignature:
            return False
        return isinstance(signed, str) and csrf_matches(signed, nonce)
