"""The support API under ``/api/v1/tickets``: a resident files a ticket and lists their own."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import JSONBody

from healthcode.support.schemas import TicketFiled, TicketIn, TicketOut, ticket_filed, ticket_out
from healthcode.support.service import SupportService
from healthcode.web.deps import ClockDep, CurrentResident, DbSession, SettingsDep


@post("/", status_code=201, summary="File a support ticket")
async def file_ticket(
    data: JSONBody[TicketIn], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> TicketFiled:
    """``category`` is ``realname_failed`` (FAQ 6), ``phone_taken`` (FAQ 8), ``parameter_error``
    (FAQ 9), ``family`` or ``other``. Without ``card_id`` the first three need ``name``,
    ``document_type`` and ``document_number``, checked like an application (422 ``document_checksum``
    and the other document codes); 404 ``card_not_found`` for a card that is not the caller's."""
    ticket = await SupportService(db, settings, clock).file(
        resident.id,
        data.category,
        data.text,
        card_public_id=data.card_id,
        name=data.name,
        document_type=data.document_type,
        document_number=data.document_number,
        error_code=data.error_code,
    )
    return ticket_filed(ticket)


@get("/", summary="The caller's tickets, newest first")
async def list_tickets(
    resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> list[TicketOut]:
    return [ticket_out(ticket) for ticket in await SupportService(db, settings, clock).mine(resident.id)]


router = Router(path="/api/v1/tickets", route_handlers=[file_ticket, list_tickets], tags=["support"])
