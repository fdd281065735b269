"""Verifying code tokens against keys and revocations held in memory (SPEC §8, DESIGN.md "Verifying").

A :class:`Verifier` lives as long as the process (one per app). It answers from a
:class:`Snapshot` of the trusted keys and the revoked token ids, read from the database:

- on the first verification (which waits for it), and after a key change made in this process;
- lazily when the snapshot is older than ``HEALTHCODE_VERIFY_REFRESH_S``: the request that notices
  re-reads it (two small queries), requests arriving meanwhile use the old snapshot;
- at once when a token names a key the snapshot does not know, at most every
  :data:`UNKNOWN_KEY_RETRY_S` seconds: a key rotated by another process verifies without waiting
  for the next refresh, and garbage with random kids cannot make every request read the database.

So the database is read at most a few times a minute, never once per request. When a refresh fails
(the database is down) the last snapshot keeps answering and the failure is logged: checkpoints keep
working offline on cached keys and revocations (SPEC §8).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthcode.codes.keys import VERIFY_LEEWAY_S, KeyService
from healthcode.codes.memory import KeyMemory
from healthcode.codes.revocations import RevocationService
from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Unavailable
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import CodeClaims, Reason, Verification, VerifyingKey, verify_token

log = logging.getLogger("healthcode.codes")

UNKNOWN_KEY_RETRY_S = 5
"""Least seconds between two early refreshes caused by tokens of unknown keys."""
FAILED_REFRESH_RETRY_S = 5
"""Seconds before a failed refresh is tried again."""


@dataclass(frozen=True)
class Snapshot:
    """What a verifier knows: trusted keys by kid, revoked token ids, and when it read them."""

    keys: Mapping[bytes, Sequence[VerifyingKey]]
    revoked: frozenset[bytes]
    loaded_at: datetime


@dataclass(frozen=True)
class VerificationResult:
    """One verification as the API and the CLI answer it (API.md)."""

    valid: bool
    reason: str
    colour: str | None
    masked_name: str | None
    masked_document: str | None
    issuer: str | None
    expires_at: datetime | None
    claims: CodeClaims | None = field(default=None, repr=False)
    """Everything the token said, for callers inside the platform (the checkpoint desk)."""


def result_of(verification: Verification) -> VerificationResult:
    claims = verification.claims
    if claims is None:
        return VerificationResult(verification.valid, verification.reason.value, None, None, None, None, None)
    return VerificationResult(
        valid=verification.valid,
        reason=verification.reason.value,
        colour=claims.colour,
        masked_name=claims.masked_name,
        masked_document=claims.masked_document,
        issuer=claims.issuer,
        expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        claims=claims,
    )


async def load_snapshot(
    db: AsyncSession, settings: Settings, clock: Clock, memory: KeyMemory | None = None
) -> Snapshot:
    """Read the trusted keys and the revoked ids (three queries, plus checking trusted-list files)."""
    keys = await KeyService(db, settings, clock, memory).verifying_keys()
    revoked = await RevocationService(db, settings, clock).revoked_ids()
    return Snapshot(keys, revoked, clock.now())


def verify_with(snapshot: Snapshot, token: str, now: datetime) -> Verification:
    """Verify ``token`` (surrounding whitespace removed) against ``snapshot`` at ``now``.

    Stripping is safe: a Base45 string never ends in its one whitespace character, the space (the
    last character of a group encodes at most 32, and the space is 36), and never starts with one,
    as every token starts with ``HC1:``. Keyboard-wedge scanners end what they read with Enter.
    """
    return verify_token(
        token.strip(), snapshot.keys, int(now.timestamp()), revoked=snapshot.revoked, leeway=VERIFY_LEEWAY_S
    )


@dataclass
class Verifier:
    """Verifies tokens from memory; ``load`` reads a fresh :class:`Snapshot`."""

    load: Callable[[], Awaitable[Snapshot]]
    clock: Clock
    refresh_s: int
    memory: KeyMemory
    """The app's key memory: a key change made through it refreshes the snapshot at once."""
    snapshot: Snapshot | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _next_refresh: datetime | None = None
    _last_attempt: datetime | None = None
    _seen_changes: int = -1

    async def verify(self, token: str, at: datetime | None = None) -> VerificationResult:
        """Verify ``token`` now, or as of ``at`` (a scan a checkpoint made offline, checked when it
        is uploaded; revocations are today's)."""
        snapshot = await self._current()
        when = at or self.clock.now()
        verification = verify_with(snapshot, token, when)
        unknown = verification.reason is Reason.UNKNOWN_ISSUER and verification.claims is None
        if unknown and self._may_retry(self.clock.now()):
            snapshot = await self.refresh()
            verification = verify_with(snapshot, token, when)
        return result_of(verification)

    async def _current(self) -> Snapshot:
        due = self._next_refresh is not None and self.clock.now() >= self._next_refresh
        if self.snapshot is None or due or self._seen_changes != self.memory.changes:
            return await self.refresh()
        return self.snapshot

    def _may_retry(self, now: datetime) -> bool:
        last = self._last_attempt
        return last is None or (now - last).total_seconds() >= UNKNOWN_KEY_RETRY_S

    async def refresh(self) -> Snapshot:
        """Read a new snapshot. While one refresh runs, other callers get the current snapshot; only
        when there is none yet do they wait for it."""
        if self._lock.locked():
            if self.snapshot is not None:
                return self.snapshot
            async with self._lock:  # the first load is under way: wait for it
                if self.snapshot is not None:
                    return self.snapshot
        async with self._lock:
            now = self.clock.now()
            self._last_attempt = now
            self._seen_changes = self.memory.changes
            try:
                snapshot = await self.load()
            except Exception as error:
                self._next_refresh = now + timedelta(seconds=FAILED_REFRESH_RETRY_S)
                if self.snapshot is None:
                    log.exception("cannot load the keys to verify codes")
                    raise Unavailable(
                        "verification_unavailable",
                        N_("The service is busy or under maintenance. Please try again later."),
                    ) from error
                age = (now - self.snapshot.loaded_at).total_seconds()
                log.warning("verifying with keys and revocations %.0f s old: refresh failed: %s", age, error)
                return self.snapshot
            self.snapshot = snapshot
            self._next_refresh = now + timedelta(seconds=self.refresh_s)
            return snapshot


def make_verifier(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock, memory: KeyMemory
) -> Verifier:
    """A verifier that reads its snapshots through ``sessionmaker`` (a session per refresh)."""

    async def load() -> Snapshot:
        async with sessionmaker() as db:
            return await load_snapshot(db, settings, clock, memory)

    return Verifier(load, clock, settings.verify_refresh_s, memory)
