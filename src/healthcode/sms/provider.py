"""The SMS provider interface and the default outbox provider.

Real carriers' gateways are adapters with the same :class:`SmsProvider` shape, selected by
``HEALTHCODE_SMS_PROVIDER``. The outbox provider "sends" by keeping the text in the database,
where developers and tests read it (``healthcode sms outbox``, the dev outbox page).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import SmsOutboxMessage
from healthcode.domain.clock import Clock


class SmsProvider(Protocol):
    """Delivers one text to one mainland mobile number. ``code`` is the one-time code the text
    carries, if any, for providers that template it themselves."""

    async def send(self, phone: str, text: str, *, code: str | None = None) -> None: ...


class OutboxProvider:
    """Keeps texts in the ``sms_outbox`` table, in the caller's transaction."""

    def __init__(self, db: AsyncSession, clock: Clock):
        self.db = db
        self.clock = clock

    async def send(self, phone: str, text: str, *, code: str | None = None) -> None:
        self.db.add(SmsOutboxMessage(phone=phone, text=text, code=code, sent_at=self.clock.now()))


def make_provider(settings: Settings, db: AsyncSession, clock: Clock) -> SmsProvider:
    """The provider ``settings.sms_provider`` names."""
    match settings.sms_provider:
        case "outbox":
            return OutboxProvider(db, clock)
    raise ValueError(f"unknown SMS provider {settings.sms_provider!r}")


async def read_outbox(db: AsyncSession, phone: str | None = None, limit: int = 50) -> list[SmsOutboxMessage]:
    """The latest outbox messages (for one number if given), oldest first."""
    query = select(SmsOutboxMessage).order_by(SmsOutboxMessage.id.desc()).limit(limit)
    if phone:
        query = query.where(SmsOutboxMessage.phone == phone)
    return list(reversed((await db.scalars(query)).all()))
