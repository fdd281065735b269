"""Opening, resolving, listing and revoking device sessions (SPEC §2: "sessions can be listed
and revoked")."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.db.models import AuthSession
from healthcode.domain.clock import Clock
from healthcode.domain.errors import NotFound, Unauthenticated
from healthcode.domain.i18n import N_

TOUCH_EVERY = timedelta(minutes=10)
MAX_TOKEN_LENGTH = 100
"""Longer bearer tokens are not ours (ours have 43 characters): refused without a read."""


class PrincipalKind(StrEnum):
    """Who a session belongs to."""

    RESIDENT = "resident"
    STAFF = "staff"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    kind: PrincipalKind
    id: int
    session_id: int


def not_logged_in() -> Unauthenticated:
    """The error for a request without a live resident session."""
    return Unauthenticated("unauthenticated", N_("Please log in with your mobile number first."))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Issues random bearer tokens and keeps only their hashes; a stolen database opens nothing."""

    def __init__(self, db: AsyncSession, clock: Clock):
        self.db = db
        self.clock = clock

    async def open(
        self, kind: PrincipalKind, principal_id: int, ttl: timedelta, *, device: str = "", client_ip: str = ""
    ) -> tuple[str, AuthSession]:
        """Start a session (inside the caller's transaction); return the token, shown once."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        row = AuthSession(
            principal_kind=kind.value,
            principal_id=principal_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + ttl,
            device=device[:200],
            client_ip=client_ip[:45],
        )
        self.db.add(row)
        await self.db.flush()
        return token, row

    async def resolve(self, kind: PrincipalKind, token: str) -> Principal | None:
        """The principal behind ``token`` if the session is live; one indexed read (nothing cached:
        a revoked session stops working at once on every server), and a write at most every ten
        minutes to keep "last seen" useful. Showing a code reads the session its own way and never
        writes (:meth:`healthcode.codes.live.CodeIssuer.live_code`)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        now = self.clock.now()
        row = await self.db.scalar(select(AuthSession).where(AuthSession.token_hash == digest))
        if row is None or row.principal_kind != kind or row.revoked_at is not None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            await self.touch(row.id)
        return Principal(kind, row.principal_id, row.id)

    async def touch(self, session_id: int) -> None:
        """Record that the session was used now ("last seen"), and commit."""
        await self.db.execute(
            update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=self.clock.now())
        )
        await self.db.commit()

    async def live(self, kind: PrincipalKind, principal_id: int) -> list[AuthSession]:
        """The principal's sessions that still work, newest first."""
        rows = await self.db.scalars(
            select(AuthSession)
            .where(
                AuthSession.principal_kind == kind.value,
                AuthSession.principal_id == principal_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > self.clock.now(),
            )
            .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        )
        return list(rows)

    async def revoke_all(self, kind: PrincipalKind, principal_id: int) -> int:
        """End every live session of one principal (inside the caller's transaction): an account
        disabled or given new credentials is signed out on every device at once; the count ended."""
        result = await self.db.execute(
            update(AuthSession)
            .where(
                AuthSession.principal_kind == kind.value,
                AuthSession.principal_id == principal_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def revoke(self, principal: Principal, session_id: int) -> None:
        """End one of the caller's own sessions (this device or another)."""
        row = await self.db.get(AuthSession, session_id)
        if (
            row is None
            or row.principal_kind != principal.kind
            or row.principal_id != principal.id
            or row.revoked_at is not None
        ):
            raise NotFound("session_not_found", N_("This login no longer exists."), field="session_id")
        row.revoked_at = self.clock.now()
        await self.db.commit()
