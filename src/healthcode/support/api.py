"""The support API under ``/api/v1/tickets``: a resident files a ticket (with a picture, in a
second call), lists their own with support's replies, or reads one."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import JSONBody, MultipartBody

from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, RowId, SettingsDep
from healthcode.support.desk.service import ticket_not_found
from healthcode.support.schemas import TicketFiled, TicketIn, TicketOut, ticket_filed, ticket_out
from healthcode.support.service import SupportService


@dataclass
class ScreenshotUpload:
    """multipart/form-data: ``file``, a screenshot or a photo of the document."""

    file: UploadFile


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


@post("/{ticket_id:int}/screenshot", status_code=201, summary="Attach a picture to a ticket")
async def attach_screenshot(
    ticket_id: RowId,
    data: MultipartBody[ScreenshotUpload],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketOut:
    """One picture per ticket (a screenshot of the error, or a photo of the document when the card
    is on another phone, FAQ 8), cleaned like document photos and encrypted; only the agent sees
    it. JPEG, PNG or HEIC up to ``HEALTHCODE_PHOTO_MAX_BYTES`` (413 beyond, 415 for anything else);
    409 ``ticket_screenshot_exists`` for a second one, ``ticket_closed`` on a closed ticket; 404
    ``ticket_not_found`` for a ticket that is not the caller's."""
    content = await data.file.read(settings.photo_max_bytes + 1)
    service = SupportService(db, settings, clock)
    await service.attach_screenshot(resident.id, ticket_id, content)
    return await _one(service, resident.id, ticket_id)


@get("/", summary="The caller's tickets, newest first, with support's replies")
async def list_tickets(
    resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> list[TicketOut]:
    return [ticket_out(ticket) for ticket in await SupportService(db, settings, clock).mine(resident.id)]


@get("/{ticket_id:int}", summary="One of the caller's tickets, with support's replies")
async def read_ticket(
    ticket_id: RowId, resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> TicketOut:
    """404 ``ticket_not_found`` for a ticket that is not the caller's."""
    return await _one(SupportService(db, settings, clock), resident.id, ticket_id)


async def _one(service: SupportService, resident_id: int, ticket_id: int) -> TicketOut:
    for ticket in await service.mine(resident_id):
        if ticket.id == ticket_id:
            return ticket_out(ticket)
    raise ticket_not_found()


router = Router(
    path="/api/v1/tickets",
    route_handlers=[file_ticket, attach_screenshot, list_tickets, read_ticket],
    tags=["support"],
)
