"""The development SMS provider's outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class SmsOutboxMessage(Base):
    """A text the outbox provider "sent": what a phone would have received. Dev and test only."""

    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_phone", "phone", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    text: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(6))
    sent_at: Mapped[datetime]
