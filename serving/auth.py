"""API keys and roles: `Authorization: Bearer <key>`, keys held only as SHA-256 hashes.

Two sources, by configuration: `ARSIGHT_API_KEYS` (`role:key` pairs, comma-separated; for
development, hashed on load) and `ARSIGHT_API_KEYS_FILE` (one `role:sha256-hex` a line, `#`
comments; for production, so no plain key ever sits on the server). A presented key is hashed
and compared with every configured hash using `hmac.compare_digest`, without stopping at the
first match, so the time taken does not reveal which key or how much of it matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from serving.errors import AuthError, ForbiddenError

Role = Literal["crm", "risk", "collections", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key, the form stored in a keys file."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyRing:
    """The configured keys as (role, sha256 hex) pairs."""

    entries: tuple[tuple[Role, str], ...]

    def role_of(self, key: str) -> Role:
        """The role of `key`; AuthError if it matches no configured key."""
        digest = hash_key(key).encode("ascii")
        found: Role | None = None
        for role, stored in self.entries:
            if hmac.compare_digest(digest, stored.encode("ascii")):
                found = role
        if found is None:
            raise AuthError("invalid API key")
        return found


def _role(text: str, where: str) -> Role:
    if text not in ROLES:
        raise ValueError(f"{where}: unknown role {text!r}; expected one of {list(ROLES)}")
    return text  # type: ignore[return-value]


def parse_plain_keys(spec: str) -> list[tuple[Role, str]]:
    """`crm:k1,risk:k2` -> [(crm, sha256(k1)), (risk, sha256(k2))]."""
    entries: list[tuple[Role, str]] = []
    for n, item in enumerate(p.strip() for p in spec.split(",")):
        if not item:
            continue
        role, sep, key = item.partition(":")
        if not sep or not key:
            raise ValueError(f"ARSIGHT_API_KEYS item {n + 1}: expected role:key")
        if not key.strip():
            raise ValueError(f"ARSIGHT_API_KEYS item {n + 1}: expected role:key")
        role_name = _role(role.strip(), f"ARSIGHT_API_KEYS item {n + 1}")
        entries.append((role_name, hash_key(key.strip())))
    return entries


def parse_keys_file(path: Path) -> list[tuple[Role, str]]:
    """Read `role:sha256-hex` lines; blank lines and `#` comments are skipped."""
    entries: list[tuple[Role, str]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        role, _, digest = line.partition(":")
        digest = digest.strip().lower()
        if not _HEX64.match(digest):
            raise ValueError(f"{path} line {n}: expected role:<64 hex chars of sha256>")
        entries.append((_role(role.strip(), f"{path} line {n}"), digest))
    return entries


def load_key_ring(plain: str | None, keys_file: Path | None) -> KeyRing:
    """Every key from both sources; an empty ring refuses every protected request."""
    entries = parse_plain_keys(plain) if plain else []
    if keys_file is not None:
        entries += parse_keys_file(keys_file)
    return KeyRing(tuple(entries))


def bearer_key(authorization: str | None) -> str:
    """The key of an `Authorization: Bearer <key>` header; AuthError if absent or malformed."""
    if not authorization:
        raise AuthError("missing API key: send Authorization: Bearer <key>")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthError("malformed Authorization header: expected Bearer <key>")
    return key.strip()


def require_role(role: Role, allowed: tuple[Role, ...]) -> None:
    """ForbiddenError unless `role` is allowed; admin may call everything."""
    if role != "admin" and role not in allowed:
        raise ForbiddenError(f"role {role!r} may not call this endpoint; allowed: {list(allowed)}")
