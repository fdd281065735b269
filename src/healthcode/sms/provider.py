"""Where services send texts: the outbox (ADR 20).

Every text is written to the ``sms_outbox`` table in the caller's transaction. The outbox
provider (dev and tests, ``HEALTHCODE_SMS_PROVIDER=outbox``) stops there: developers and tests read
the texts (``healthcode sms outbox``, the dev outbox page). With a carrier (``http``) the text is
queued, tried right after the commit and by the ``sms.deliver`` job until the gateway takes it
(:mod:`healthcode.sms.delivery`).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.config import Settings
from healthcode.db.models import SmsOutboxMessage
from healthcode.db.models.sms import QUEUED
from healthcode.domain.clock import Clock
from healthcode.sms.delivery import deliver_soon


class SmsProvider(Protocol):
    """Sends one text to one mainland mobile number, in the caller's transaction. ``code`` is the
    one-time code the text carries, if any, for providers that template it themselves."""

    async def send(self, phone: str, text: str, *, code: str | None = None) -> None: ...


class OutboxProvider:
    """Keeps texts in the ``sms_outbox`` table, in the caller's transaction: nothing leaves."""

    def __init__(self, db: AsyncSession, clock: Clock):
        self.db = db
        self.clock = clock

    async def send(self, phone: str, text: str, *, code: str | None = None) -> None:
        self.db.add(SmsOutboxMessage(phone=phone, text=text, code=code, sent_at=self.clock.now()))


_QUEUED_HERE = "healthcode.sms.queued"
"""The session's ``info`` key listing the texts it queued and has not committed yet."""


class CarrierProvider:
    """Queues texts for the carrier in the caller's transaction; once that commits, they are
    tried at once (beside the request) and, if that fails, by the ``sms.deliver`` job."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.engine = db.bind if isinstance(db.bind, AsyncEngine) else None
        """Where the texts are tried after the commit; a session bound otherwise leaves them to the job."""

    async def send(self, phone: str, text: str, *, code: str | None = None) -> None:
        now = self.clock.now()
        message = SmsOutboxMessage(
            phone=phone, text=text, code=code, sent_at=now, state=QUEUED, due_at=now, ref=uuid.uuid4().hex
        )
        self.db.add(message)
        sync = self.db.sync_session
        queued = sync.info.setdefault(_QUEUED_HERE, [])
        if not queued and self.engine is not None:
            event.listen(sync, "after_commit", self._after_commit, once=True)
            event.listen(sync, "after_rollback", self._after_rollback, once=True)
        queued.append(message)

    def _after_commit(self, session: Any) -> None:
        messages = session.info.pop(_QUEUED_HERE, [])
        if event.contains(session, "after_rollback", self._after_rollback):
            event.remove(session, "after_rollback", self._after_rollback)
        ids = [identity[0] for m in messages if (identity := inspect(m).identity)]
        if ids and self.engine is not None:
            deliver_soon(self.engine, self.settings, self.clock, ids)

    def _after_rollback(self, session: Any) -> None:
        session.info.pop(_QUEUED_HERE, None)
        if event.contains(session, "after_commit", self._after_commit):
            event.remove(session, "after_commit", self._after_commit)


def make_provider(settings: Settings, db: AsyncSession, clock: Clock) -> SmsProvider:
    """The provider ``settings.sms_provider`` names."""
    match settings.sms_provider:
        case "outbox":
            return OutboxProvider(db, clock)
        case "http":
            return CarrierProvider(db, settings, clock)
    raise ValueError(f"unknown SMS provider {settings.sms_provider!r}")


async def read_outbox(db: AsyncSession, phone: str | None = None, limit: int = 50) -> list[SmsOutboxMessage]:
    """The latest outbox messages (for one number if given), oldest first."""
    query = select(SmsOutboxMessage).order_by(SmsOutboxMessage.id.desc()).limit(limit)
    if phone:
        query = query.where(SmsOutboxMessage.phone == phone)
    return list(reversed((await db.scalars(query)).all()))
