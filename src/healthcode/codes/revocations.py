"""Revoked tokens (SPEC §9): a revoked paper certificate, or any token, fails at every checkpoint.

Verifiers hold the revoked ids in memory and re-read them every ``HEALTHCODE_VERIFY_REFRESH_S``
(:mod:`.verification`), so a revocation takes effect everywhere within that time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.config import Settings
from healthcode.db.models import RevokedToken
from healthcode.domain.clock import Clock
from healthcode.domain.tokens import TokenKind
from healthcode.domain.tokens.format import TOKEN_ID_BYTES

REASON_MAX = 200


class RevocationService:
    """Revokes tokens by id (audited as ``codes.revoke``) and lists the revoked ids."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        self.db = db
        self.clock = clock
        self.audit = AuditTrail(db, settings.audit_key, clock)

    async def revoke(self, token_id: bytes, kind: TokenKind, reason: str, actor: str) -> RevokedToken:
        """Revoke one token; revoking it again returns the first revocation unchanged. Commits."""
        if len(token_id) != TOKEN_ID_BYTES:
            raise ValueError(f"a token id is {TOKEN_ID_BYTES} bytes")
        existing = await self.db.scalar(select(RevokedToken).where(RevokedToken.token_id == token_id.hex()))
        if existing is not None:
            return existing
        row = RevokedToken(
            token_id=token_id.hex(),
            kind=kind.name.lower(),
            revoked_at=self.clock.now(),
            reason=reason[:REASON_MAX],
            revoked_by=actor[:40],
        )
        self.db.add(row)
        await self.db.flush()
        await self.audit.record(actor, "codes.revoke", f"token:{row.token_id}", kind=row.kind, reason=row.reason)
        await self.db.commit()
        return row

    async def revoked_ids(self) -> frozenset[bytes]:
        """Every revoked token id, for a verifier's memory."""
        return frozenset(bytes.fromhex(value) for value in await self.db.scalars(select(RevokedToken.token_id)))
