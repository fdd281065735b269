"""Support tickets filed by residents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from healthcode.db.base import Base


class Ticket(Base):
    """A support ticket ("留下姓名、身份证号、手机号"), pre-filled with what failed.

    The name and document the resident typed, and the text they wrote, are encrypted like a card's.
    A ticket may carry one screenshot or document photo, cleaned like a card's document photos and
    encrypted; it is loaded only when an agent asks to see it (``deferred``).
    """

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_resident", "resident_id"), Index("ix_tickets_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    category: Mapped[str] = mapped_column(String(32))
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_type: Mapped[str | None] = mapped_column(String(40))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    context: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    updated_at: Mapped[datetime | None]
    screenshot_type: Mapped[str | None] = mapped_column(String(20))
    screenshot_enc: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))


class TicketReply(Base):
    """An agent's reply on a ticket (what the resident reads on the ticket page and gets by SMS),
    or an agent's note when a status changes; the text is encrypted like the ticket's."""

    __tablename__ = "ticket_replies"
    __table_args__ = (Index("ix_ticket_replies_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    status: Mapped[str | None] = mapped_column(String(16))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class TicketFix(Base):
    """A fix an agent made from a ticket (re-bind, re-run, name correction, link ended), with what
    it changed: ``detail_enc`` is sealed JSON, since it may hold names (the old and the new one).
    The audit entry names this row; the row names the ticket."""

    __tablename__ = "ticket_fixes"
    __table_args__ = (Index("ix_ticket_fixes_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    action: Mapped[str] = mapped_column(String(32))
    detail_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
