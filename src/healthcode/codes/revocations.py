"""Revoked tokens (SPEC §9): a revoked paper certificate, or any token, fails at every checkpoint.

Verifiers here hold the revoked ids in memory and re-read them every ``HEALTHCODE_VERIFY_REFRESH_S``
(:mod:`.verification`), so a revocation takes effect everywhere within that time. Checkpoints
working offline and other regions read the signed *revocation list* at
``/.well-known/healthcode/revocations.json``::

    {"issuer": "CN-150100",
     "revoked": ["0102030405060708", ...],      # token ids in hex, sorted
     "issued_at": 1772330400,
     "signature": {"kid", "alg": "ES256", "value"}}

signed like the trust list (:func:`~healthcode.codes.trust.sign_document`: ES256 over the canonical
JSON of the rest, with a key of this issuer's trust list). A revocation stays listed until the
token would have expired anyway, plus :data:`OFFLINE_SCAN_MAX_AGE`: scans a checkpoint made offline
are verified as of their scan time when they are uploaded, up to that long after. ``issued_at`` is
the last revocation or the start of the current hour, whichever is later, so every worker serves
the same bytes; it is never before the signing key's window opens (a reader checks that window).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from healthcode.audit.service import AuditedService
from healthcode.codes.keys import VERIFY_LEEWAY_S, KeyService
from healthcode.codes.memory import KeyMemory
from healthcode.codes.trust import published_document
from healthcode.db.models import RevokedToken
from healthcode.domain.tokens import TokenKind
from healthcode.domain.tokens.format import TOKEN_ID_BYTES

REASON_MAX = 200
OFFLINE_SCAN_MAX_AGE = timedelta(days=7)
"""How long after scanning a checkpoint may upload an offline scan (verified as of its scan time)."""
REVOCATION_LIST_PATH = "/.well-known/healthcode/revocations.json"


class RevocationService(AuditedService):
    """Revokes tokens by id (audited as ``codes.revoke``), lists the revoked ids and publishes them."""

    async def revoke(
        self, token_id: bytes, kind: TokenKind, reason: str, actor: str, *, expires_at: datetime | None = None
    ) -> RevokedToken:
        """Revoke one token (audited as ``codes.revoke``); revoking it again returns the first
        revocation unchanged. Commits."""
        existing = await self.db.scalar(select(RevokedToken).where(RevokedToken.token_id == token_id.hex()))
        if existing is not None:
            return existing
        row = await self.add(token_id, kind, reason, actor, expires_at=expires_at)
        await self.audit.record(actor, "codes.revoke", f"token:{row.token_id}", kind=row.kind, reason=row.reason)
        await self.db.commit()
        return row

    async def add(
        self, token_id: bytes, kind: TokenKind, reason: str, actor: str, *, expires_at: datetime | None = None
    ) -> RevokedToken:
        """The revocation row, added in the caller's transaction, which audits its own action
        (a certificate's revocation) and commits."""
        if len(token_id) != TOKEN_ID_BYTES:
            raise ValueError(f"a token id is {TOKEN_ID_BYTES} bytes")
        row = RevokedToken(
            token_id=token_id.hex(),
            kind=kind.name.lower(),
            revoked_at=self.clock.now(),
            reason=reason[:REASON_MAX],
            revoked_by=actor[:40],
            expires_at=expires_at,
        )
        self.db.add(row)
        await self.db.flush()
        return row

    async def revoked_ids(self) -> frozenset[bytes]:
        """Every revoked token id that could still verify, for a verifier's memory."""
        return frozenset(bytes.fromhex(row.token_id) for row in await self._current())

    async def revocation_list(self, memory: KeyMemory | None = None) -> tuple[bytes, str]:
        """The signed revocation list as JSON bytes, and its ETag (see the module's notes); signed
        with the active key as ``memory`` (the app's) has it."""
        rows = await self._current()
        content = {"issuer": self.settings.issuer, "revoked": sorted(row.token_id for row in rows)}
        keys = KeyService(self.db, self.settings, self.clock, memory)
        key = await keys.signing_key()
        # never issued before its signer's window opens (a key made within the hour), so that a reader
        # checking the signer's window (a checkpoint desk, another region) takes the list
        opened = [k.not_before for k in await keys.own_verifying_keys() if k.kid == key.kid and k.not_before]
        changes = [row.revoked_at for row in rows] + [datetime.fromtimestamp(moment, UTC) for moment in opened]
        return published_document(content, key, changes, self.clock.now())

    async def _current(self) -> list[RevokedToken]:
        cutoff = self.clock.now() - timedelta(seconds=VERIFY_LEEWAY_S) - OFFLINE_SCAN_MAX_AGE
        query = select(RevokedToken).where(or_(RevokedToken.expires_at.is_(None), RevokedToken.expires_at >= cutoff))
        return list(await self.db.scalars(query))
