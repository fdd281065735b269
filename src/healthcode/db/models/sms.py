"""The SMS outbox: every text on its way to a phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base

KEPT = "kept"
"""The outbox provider's texts (dev and tests): the outbox is their destination."""
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class SmsOutboxMessage(Base):
    """A text written in the transaction of the change it tells of. With the outbox provider it
    stays here (``kept``) for developers and tests to read. With a carrier it is ``queued``, then
    claimed (``sending``, until ``due_at``) and handed to the carrier once: ``sent`` (its text and
    code are then blanked, the carrier has them) or, after the last try, ``failed``."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_phone", "phone", "id"),
        Index("ix_sms_outbox_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    text: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(6))
    sent_at: Mapped[datetime]
    """When the text was written (queued, or kept by the outbox provider)."""
    state: Mapped[str] = mapped_column(String(8), default=KEPT, server_default=KEPT)
    ref: Mapped[str | None] = mapped_column(String(32))
    """The text's id at the carrier: the same on every try, so that the gateway can drop repeats."""
    tries: Mapped[int] = mapped_column(default=0, server_default="0")
    due_at: Mapped[datetime | None]
    """Queued: when the next try may start. Sending: when the claim runs out (a crashed sender's
    text is tried again then)."""
    delivered_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(200))
    """Why the last try failed (the gateway's status or the network error), for operators."""
