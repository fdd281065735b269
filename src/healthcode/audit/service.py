"""Recording to and verifying the audit trail; every feature records through :class:`AuditTrail`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import AuditHead, AuditRecord
from healthcode.domain.audit import GENESIS, AuditEntry, ChainReport, Checkpoint, chain_digest, head_seal, verify_chain
from healthcode.domain.clock import Clock

HEAD_ID = 1


class AuditedService:
    """Base of the services whose actions go into the audit trail: the request's database session,
    the settings, the clock, and the trail writing inside the same transaction."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.audit = AuditTrail(db, settings.audit_key, clock)


class AuditTrail:
    """Appends entries inside the caller's transaction, so an action and its record commit together.

    Writers take a row lock on the chain head (PostgreSQL) or the database write lock (SQLite),
    which keeps sequence numbers gapless and digests linked in order.
    """

    def __init__(self, db: AsyncSession, key: str, clock: Clock):
        self.db = db
        self.key = key.encode()
        self.clock = clock

    async def record(self, actor: str, action: str, subject: str = "", **detail: Any) -> AuditRecord:
        """Append one entry: ``actor`` like ``staff:7``, ``action`` like ``staff.login``,
        ``subject`` like ``resident:42``; ``detail`` is JSON-encoded (never put secrets in it)."""
        head = await self.db.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
        if head is None:
            raise RuntimeError("audit_head row missing: run `healthcode db upgrade`")
        entry = AuditEntry(
            seq=head.seq + 1,
            at=self.clock.now(),
            actor=actor,
            action=action,
            subject=subject,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        )
        digest = chain_digest(self.key, head.digest, entry)
        record = AuditRecord(
            seq=entry.seq,
            at=entry.at,
            actor=actor,
            action=action,
            subject=subject,
            detail=entry.detail,
            prev_digest=head.digest,
            digest=digest,
        )
        self.db.add(record)
        head.seq, head.digest, head.seal = entry.seq, digest, head_seal(self.key, entry.seq, digest)
        await self.db.flush()
        return record

    async def verify(self, anchor: Checkpoint | None = None) -> ChainReport:
        """Walk the whole chain; report the first entry that was changed, inserted or removed, a
        head rewritten without the key, and entries cut behind ``anchor``."""
        head = await self.db.get(AuditHead, HEAD_ID)
        head_state = (head.seq, head.digest, head.seal) if head else (0, GENESIS, None)
        rows = [row async for row in self._stored()]
        return verify_chain(self.key, rows, head_state, anchor)

    async def head(self) -> Checkpoint:
        """Where the chain ends now, as an anchor would keep it; refused when the head's seal is
        wrong (anchoring a rewritten head would vouch for the cut)."""
        head = await self.db.get(AuditHead, HEAD_ID)
        if head is None:
            raise RuntimeError("audit_head row missing: run `healthcode db upgrade`")
        if head.seq and head.seal != head_seal(self.key, head.seq, head.digest):
            raise RuntimeError("the audit head was rewritten without the audit key: run `healthcode audit verify`")
        return Checkpoint(head.seq, head.digest, self.clock.now())

    async def _stored(self) -> AsyncIterator[tuple[AuditEntry, str, str]]:
        result = await self.db.stream_scalars(select(AuditRecord).order_by(AuditRecord.seq))
        async for r in result:
            yield AuditEntry(r.seq, r.at, r.actor, r.action, r.subject, r.detail), r.prev_digest, r.digest

    async def latest(self, limit: int = 50) -> list[AuditRecord]:
        rows = await self.db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit))
        return list(rows)
