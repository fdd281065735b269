"""What an app remembers of keys between requests, held by its codes runtime
(:func:`healthcode.codes.api.make_runtime`): the active signing key as last read, each key
decrypted once, the checked trusted lists, and how many key changes went through it.

A service made without one (the CLI, a one-off) starts from nothing and reads everything again;
nothing of it lives in a module, so two apps in one process (the tests) never share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from healthcode.codes.trust import TrustedListFiles, TrustList
from healthcode.domain.tokens import SigningKey

SIGNING_CACHE_S = 120
"""How long a worker signs with the active key it last read before asking the database again."""
_SIGNING_FRESH = timedelta(seconds=SIGNING_CACHE_S)


@dataclass(frozen=True)
class ActiveKey:
    """The active key as read at ``read_at``."""

    kid: str
    key: SigningKey
    read_at: datetime


@dataclass
class KeyMemory:
    """For :data:`SIGNING_CACHE_S` after the active key was read, signing needs no database work;
    changes made through a service holding this memory forget it at once (and count in
    ``changes``, which the verifier and the published trust list compare); changes made elsewhere
    are seen within :data:`SIGNING_CACHE_S`, which an old key's ``not_after`` allows for."""

    active: ActiveKey | None = None
    decrypted: dict[str, SigningKey] = field(default_factory=dict)
    """Each key decrypted once, by kid: re-reading which key is active decrypts only a new one."""
    changes: int = 0
    files: TrustedListFiles = field(default_factory=TrustedListFiles)
    """The operator's ``HEALTHCODE_TRUSTED_LISTS``, checked, re-read when a file changes."""
    stored: dict[str, TrustList] = field(default_factory=dict)
    """Lists administrators added, checked, by their document's SHA-256 (a new list has a new one)."""

    def signing_key(self, now: datetime) -> SigningKey | None:
        """The active key read less than :data:`SIGNING_CACHE_S` ago, or None."""
        active = self.active
        if active is not None and now >= active.read_at and now - active.read_at < _SIGNING_FRESH:
            return active.key
        return None

    def forget(self) -> None:
        """A key or trusted list changed: read the active key again, rebuild what was built from them."""
        self.changes += 1
        self.active = None
