"""JSON shapes of the support API (``/api/v1/tickets``)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from healthcode.db.models import Ticket
from healthcode.support.service import TicketView


class TicketIn(msgspec.Struct):
    """A new ticket. With ``card_id`` (one of the caller's cards) the name and document come from
    the card and ``name``, ``document_type`` and ``document_number`` are ignored. ``error_code`` is
    the ``code`` of the error the resident saw, such as ``document_checksum``."""

    category: str
    text: str
    card_id: str | None = None
    name: str | None = None
    document_type: str | None = None
    document_number: str | None = None
    error_code: str | None = None


class TicketFiled(msgspec.Struct):
    """201: the ticket is in the agents' queue."""

    id: int
    category: str
    status: str
    created_at: datetime


class ReplyOut(msgspec.Struct):
    """A reply from support; ``status`` is the ticket's status it set, or null when it set none."""

    at: datetime
    status: str | None
    text: str


class TicketOut(msgspec.Struct):
    """One of the caller's tickets, as the resident sees it (never the stored personal data), with
    support's replies, oldest first, and whether it carries a picture."""

    id: int
    category: str
    status: str
    created_at: datetime
    text: str
    replies: list[ReplyOut] = msgspec.field(default_factory=list)
    has_screenshot: bool = False


def ticket_filed(ticket: Ticket) -> TicketFiled:
    return TicketFiled(ticket.id, ticket.category, ticket.status, ticket.created_at)


def ticket_out(ticket: TicketView) -> TicketOut:
    return TicketOut(
        ticket.id,
        ticket.category,
        ticket.status,
        ticket.created_at,
        ticket.text,
        [ReplyOut(reply.at, reply.status, reply.text) for reply in ticket.replies],
        ticket.has_screenshot,
    )
