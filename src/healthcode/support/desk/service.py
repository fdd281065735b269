"""Use cases of the support agents' desk (SPEC §10): the queue, one ticket, assignment, status
changes and replies.

The queue shows masked data only; opening a ticket decrypts its name, document and text and is
recorded in the audit trail, as is every change. A reply is encrypted like the ticket's text, shown
on the resident's ticket page and sent to the resident's phone by SMS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.config import Settings
from healthcode.db.models import Resident, SmsQuotaReset, StaffAccount, Ticket, TicketReply
from healthcode.domain.clock import Clock
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.phone import mask_mobile
from healthcode.domain.roles import Role
from healthcode.domain.tickets import STATUS_FLOW, TicketCategory, TicketStatus, next_status, normalize_text
from healthcode.i18n import translate
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal
from healthcode.sms.provider import make_provider
from healthcode.staff.service import StaffService

QUEUE_LIMIT = 200
REPLY_TEXT = N_("[Health Code] Support replied to your ticket: {text}")
SMS_QUOTE_MAX = 120
"""The longest part of a reply quoted in its SMS; the full text is on the ticket page."""


def ticket_not_found() -> NotFound:
    return NotFound("ticket_not_found", N_("There is no such ticket."), field="ticket")


@dataclass(frozen=True)
class QueueEntry:
    """One ticket in the queue: masked, with its age against the service target."""

    id: int
    category: TicketCategory
    status: TicketStatus
    created_at: datetime
    age_hours: int
    late: bool
    assigned_to_me: bool
    assigned: bool


@dataclass(frozen=True)
class Reply:
    """A reply or status note, as the resident and the agents read it."""

    at: datetime
    status: str | None
    text: str


@dataclass(frozen=True)
class TicketDetail:
    """A ticket in full for the agent: what the resident typed and what failed (the context)."""

    entry: QueueEntry
    name: str | None
    document_type: DocumentType | None
    document_number: str | None
    masked_phone: str
    text: str
    context: dict[str, Any]
    replies: list[Reply]
    next_statuses: list[TicketStatus]
    has_screenshot: bool = False


class DeskService(AuditedService):
    """The support desk. Every call first checks that the caller holds the support role."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        super().__init__(db, settings, clock)
        self.sealer = Sealer(settings.keyring)

    async def queue(self, principal: Principal | None, *, limit: int = QUEUE_LIMIT) -> list[QueueEntry]:
        """Tickets not closed, those waiting for an agent first, then by age (oldest first)."""
        staff = await self._authorize(principal)
        open_ones = [status.value for status in TicketStatus if not status.closed]
        waiting_first = case((Ticket.status == TicketStatus.WAITING.value, 1), else_=0)
        rows = await self.db.scalars(
            select(Ticket)
            .where(Ticket.status.in_(open_ones))
            .order_by(waiting_first, Ticket.created_at, Ticket.id)
            .limit(limit)
        )
        return [self._entry(ticket, staff) for ticket in rows]

    async def open(self, principal: Principal | None, ticket_id: int) -> TicketDetail:
        """One ticket in full; the read is recorded in the audit trail."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        await self.audit.record(f"staff:{staff.id}", "support.open", f"ticket:{ticket.id}")
        await self.db.commit()
        return await self._detail(ticket, staff)

    async def screenshot(self, principal: Principal | None, ticket_id: int) -> tuple[str, bytes]:
        """The ticket's picture, decrypted only now, at the agent's request: ``(media_type,
        content)``. Every view is recorded in the audit trail."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        if ticket.screenshot_type is None:
            raise NotFound("ticket_screenshot_not_found", N_("This ticket has no picture."), field="screenshot")
        await self.db.refresh(ticket, ["screenshot_enc"])  # deferred: only this view loads it
        content = self.sealer.open_bytes(ticket, "screenshot_enc")
        await self.audit.record(f"staff:{staff.id}", "support.screenshot", f"ticket:{ticket.id}")
        await self.db.commit()
        return ticket.screenshot_type, content

    async def assign_to_self(self, principal: Principal | None, ticket_id: int) -> Ticket:
        """The caller takes the ticket; an open one moves to "in progress"."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        ticket.assigned_to = staff.id
        if ticket.status == TicketStatus.OPEN.value:
            ticket.status = TicketStatus.IN_PROGRESS.value
        ticket.updated_at = self.clock.now()
        await self.audit.record(f"staff:{staff.id}", "support.assign", f"ticket:{ticket.id}", status=ticket.status)
        await self.db.commit()
        return ticket

    async def reply(
        self, principal: Principal | None, ticket_id: int, text: str, status: str | None = None
    ) -> TicketReply:
        """Write to the resident, optionally moving the ticket along the status flow (a refusal
        needs this text: it is the reason). The resident gets the reply by SMS."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        body = normalize_text(text)
        target = next_status(ticket.status, status) if status else None
        reply = await self._add_reply(ticket, staff, body, target)
        await self.audit.record(
            f"staff:{staff.id}", "support.reply", f"ticket:{ticket.id}", reply=reply.id, status=reply.status
        )
        await self.db.commit()
        return reply

    async def _add_reply(
        self, ticket: Ticket, staff: StaffAccount, body: str, target: TicketStatus | None = None, *, sms: bool = True
    ) -> TicketReply:
        """A reply on the ticket (sealed), the ticket moved to ``target`` and taken by ``staff`` if
        nobody has it; the resident gets the reply by SMS unless ``sms`` is False (a fix whose own
        message told them already). The caller audits and commits."""
        now = self.clock.now()
        reply = TicketReply(
            ticket_id=ticket.id,
            staff_id=staff.id,
            status=target.value if target else None,
            text_enc=b"",
            created_at=now,
        )
        self.db.add(reply)
        await self.db.flush()  # the ID binds the encrypted text to this row
        self.sealer.seal_text(reply, "text_enc", body)
        if target is not None:
            ticket.status = target.value
        if ticket.assigned_to is None:
            ticket.assigned_to = staff.id
        ticket.updated_at = now
        resident = await self.db.get(Resident, ticket.resident_id)
        if resident is not None and sms:
            quoted = body if len(body) <= SMS_QUOTE_MAX else body[: SMS_QUOTE_MAX - 1] + "…"
            provider = make_provider(self.settings, self.db, self.clock)
            await provider.send(resident.phone, translate(REPLY_TEXT, self.settings.default_language, text=quoted))
        return reply

    async def reset_sms_quota(self, principal: Principal | None, ticket_id: int) -> SmsQuotaReset:
        """The resident's number may get today's full number of login codes again (FAQ 5, 16).
        The codes already sent stay in the send log; only those sent before now stop counting."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        resident = await self.db.get(Resident, ticket.resident_id)
        if resident is None:
            raise ticket_not_found()
        reset = SmsQuotaReset(phone=resident.phone, reset_at=self.clock.now(), staff_id=staff.id)
        self.db.add(reset)
        ticket.updated_at = reset.reset_at
        await self.audit.record(
            f"staff:{staff.id}", "support.sms_quota_reset", f"resident:{resident.id}", ticket=ticket.id
        )
        await self.db.commit()
        return reset

    async def _detail(self, ticket: Ticket, staff: StaffAccount) -> TicketDetail:
        resident = await self.db.get(Resident, ticket.resident_id)
        document_type = DocumentType(ticket.document_type) if ticket.document_type else None
        return TicketDetail(
            entry=self._entry(ticket, staff),
            name=self.sealer.open_text(ticket, "name_enc") if ticket.name_enc else None,
            document_type=document_type,
            document_number=self.sealer.open_text(ticket, "document_enc") if ticket.document_enc else None,
            masked_phone=mask_mobile(resident.phone) if resident else "",
            text=self.sealer.open_text(ticket, "text_enc"),
            context={k: v for k, v in json.loads(ticket.context).items() if v is not None and k != "phone"},
            replies=await load_replies(self.db, self.sealer, ticket.id),
            next_statuses=sorted(STATUS_FLOW[TicketStatus(ticket.status)], key=list(TicketStatus).index),
            has_screenshot=ticket.screenshot_type is not None,
        )

    def _entry(self, ticket: Ticket, staff: StaffAccount) -> QueueEntry:
        age = self.clock.now() - ticket.created_at
        status = TicketStatus(ticket.status)
        return QueueEntry(
            id=ticket.id,
            category=TicketCategory(ticket.category),
            status=status,
            created_at=ticket.created_at,
            age_hours=int(age.total_seconds() // 3600),
            late=not status.closed and age > timedelta(hours=self.settings.support_target_hours),
            assigned_to_me=ticket.assigned_to == staff.id,
            assigned=ticket.assigned_to is not None,
        )

    async def _ticket(self, ticket_id: int) -> Ticket:
        ticket = await self.db.get(Ticket, ticket_id)
        if ticket is None:
            raise ticket_not_found()
        return ticket

    async def _authorize(self, principal: Principal | None) -> StaffAccount:
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.SUPPORT)


async def load_replies(db: AsyncSession, sealer: Sealer, ticket_id: int) -> list[Reply]:
    """A ticket's replies, oldest first, opened (for the resident's page and the desk)."""
    rows = await db.scalars(select(TicketReply).where(TicketReply.ticket_id == ticket_id).order_by(TicketReply.id))
    return [Reply(r.created_at, r.status, sealer.open_text(r, "text_enc")) for r in rows]
