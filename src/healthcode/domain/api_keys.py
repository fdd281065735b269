"""Staff API keys (API.md "Staff API"): what a key may do and how it is written.

A key is ``hcsk_`` + a public key id (12 hex digits, shown in lists and used to revoke) + ``_`` +
a random secret (32 bytes, URL-safe base64). Only the secret's SHA-256 is stored: a fast hash is
right for a secret of 256 random bits (a slow password hash protects guessable secrets; nothing
guesses these), and it keeps every API call cheap. The stored digest is compared in constant time.

A key acts with its account's roles narrowed to its scopes: each scope needs one of the roles of
:data:`SCOPE_ROLES`, checked on every call, so a key stops working as soon as its account loses
the role (or is locked or disabled).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from healthcode.domain.errors import Forbidden, InvalidInput, Unauthenticated
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role

PREFIX = "hcsk_"
KEY_ID_HEX = 12
_KEY = re.compile(rf"^{PREFIX}(?P<key_id>[0-9a-f]{{{KEY_ID_HEX}}})_(?P<secret>[A-Za-z0-9_-]{{43}})$")


class Scope(StrEnum):
    """What a key may call. Values are stored, typed in the CLI and sent by clients: append only."""

    LISTS = "lists"
    CHECKPOINT = "checkpoint"
    STATISTICS = "statistics"

    @property
    def label(self) -> str:
        """English msgid of what the scope allows, for translation."""
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    Scope.LISTS: N_("Upload authority lists and follow their import"),
    Scope.CHECKPOINT: N_("Record checkpoint scans at the account's site"),
    Scope.STATISTICS: N_("Read statistics"),
}
SCOPE_ROLES: dict[Scope, frozenset[Role]] = {
    Scope.LISTS: frozenset({Role.AUTHORITY}),
    Scope.CHECKPOINT: frozenset({Role.CHECKPOINT}),
    Scope.STATISTICS: frozenset({Role.ADMIN, Role.AUTHORITY}),
}
"""The roles of which the account needs one for a key's scope to work."""


@dataclass(frozen=True)
class NewKey:
    """A key as made: the whole key (shown once) and what is stored of it."""

    key_id: str
    key: str
    secret_hash: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> NewKey:
    key_id = secrets.token_hex(KEY_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"{PREFIX}{key_id}_{secret}", secret_hash(secret))


def split_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a key in our format, or None for anything else."""
    found = _KEY.fullmatch(key.strip()) if len(key) < 100 else None
    return (found["key_id"], found["secret"]) if found else None


def secret_matches(stored_hash: str, secret: str) -> bool:
    """Whether ``secret`` is the key's, in constant time."""
    return hmac.compare_digest(stored_hash, secret_hash(secret))


def parse_scopes(values: list[str]) -> list[Scope]:
    """Scopes by name; an unknown name is an error that lists the known ones."""
    scopes: set[Scope] = set()
    for value in values:
        try:
            scopes.add(Scope(value.strip().lower()))
        except ValueError:
            raise InvalidInput(
                "api_key_scope_unknown",
                N_("Unknown scope {scope}; use one of: {known}."),
                field="scopes",
                scope=value,
                known=", ".join(s.value for s in Scope),
            ) from None
    if not scopes:
        raise InvalidInput("api_key_scope_required", N_("Give the key at least one scope."), field="scopes")
    return sorted(scopes)


def role_for(scope: Scope, roles: list[str]) -> bool:
    """Whether an account holding ``roles`` may use ``scope``."""
    return any(role.value in roles for role in SCOPE_ROLES[scope])


def ensure_roles_allow(scopes: list[Scope], roles: list[str]) -> None:
    """A key is only made for scopes its account can use: a key that would not work is refused."""
    for scope in scopes:
        if not role_for(scope, roles):
            raise InvalidInput(
                "api_key_scope_role",
                N_("The account does not hold a role the scope {scope} needs ({roles})."),
                field="scopes",
                scope=scope.value,
                roles=", ".join(sorted(role.value for role in SCOPE_ROLES[scope])),
            )


def key_refused(code: str) -> Unauthenticated:
    """The 401 of a call whose key does not work; ``code`` says why once the key is proved (the
    secret matched); a wrong, unknown or malformed key only ever hears ``api_key_invalid``."""
    return Unauthenticated(code, REFUSALS[code])


REFUSALS = {
    "api_key_required": N_("Send a staff API key: Authorization: Bearer <key>."),
    "api_key_invalid": N_("This staff API key is not valid. Check it, or ask an administrator for a new one."),
    "api_key_revoked": N_("This staff API key has been revoked. Ask an administrator for a new one."),
    "api_key_account_disabled": N_("The staff account of this key is disabled."),
    "api_key_account_locked": N_("The staff account of this key is locked after failed sign-ins; try again later."),
}


def check_key(
    *,
    revoked_at: datetime | None,
    active: bool,
    locked_until: datetime | None,
    roles: list[str],
    scopes: list[str],
    needed: Scope | None,
    now: datetime,
) -> None:
    """Whether a proved key may make a call needing ``needed`` (None: any of the key's scopes).

    Raises the 401 of a revoked key or an account that is disabled or locked, and the 403 of a
    scope the key lacks or a role its account no longer holds."""
    if revoked_at is not None:
        raise key_refused("api_key_revoked")
    if not active:
        raise key_refused("api_key_account_disabled")
    if locked_until is not None and locked_until > now:
        raise key_refused("api_key_account_locked")
    if needed is None:
        return
    if needed.value not in scopes:
        raise Forbidden("api_key_scope_missing", N_("This staff API key lacks the scope {scope}."), scope=needed.value)
    if not role_for(needed, roles):
        raise Forbidden(
            "api_key_role_missing",
            N_("The staff account of this key no longer holds a role the scope {scope} needs."),
            scope=needed.value,
        )
