"""Resident pages: the support request form (pre-filled from the card or error it comes from) and
the list of one's own requests.

Other pages link here with ``/support/tickets/new?category=<TicketCategory>&card=<card ID>&code=<error
code>``; every parameter is optional, and one the platform does not know is left out of the form.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery, MultipartBody
from litestar.response import Redirect, Template

from healthcode.accounts.service import get_resident
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.phone import mask_mobile
from healthcode.domain.tickets import TEXT_MAX_LENGTH, TicketCategory, parse_category, parse_error_code, status_label
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, SettingsDep
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.support.desk.pages import DESKS
from healthcode.support.desk.pages import router as desk_router
from healthcode.support.service import CardFacts, SupportService

LIST_PATH = "/support/tickets"
__all__ = ["DESKS", "router"]
# The form caps the text at TEXT_MAX_LENGTH characters, but browsers send each line break as two.
_TEXT_READ_LIMIT = 2 * TEXT_MAX_LENGTH + 1
_TYPED_FIELDS = {"name": 60, "document_type": 40, "document_number": 40}


def _category_or_none(raw: str) -> TicketCategory | None:
    try:
        return parse_category(raw)
    except InvalidInput:
        return None


def _error_code_or_none(raw: str) -> str | None:
    try:
        return parse_error_code(raw)
    except InvalidInput:
        return None


async def _form_page(
    service: SupportService,
    resident_id: int,
    *,
    category: str = "",
    facts: CardFacts | None = None,
    error_code: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    resident = await get_resident(service.db, resident_id)
    chosen = _category_or_none(category)
    typed = values or {}
    refused = (
        service.refusal(typed.get("name", ""), typed.get("document_type", ""), typed.get("document_number", ""))
        if chosen is TicketCategory.PARAMETER_ERROR and typed.get("document_number")
        else None
    )
    return Template(
        template_name="support/new.html",
        context={
            "categories": list(TicketCategory),
            "selected": chosen.value if chosen else "",
            "hint": chosen.hint if chosen else None,
            "facts": facts,
            "error_code": error_code,
            "refusal": translated(refused) if refused else None,
            "document_types": list(DocumentType),
            "values": values or {},
            "errors": errors or {},
            "masked_phone": mask_mobile(resident.phone),
            "text_max": TEXT_MAX_LENGTH,
        },
        status_code=status,
    )


@get("/tickets/new", name="support_new_ticket")
async def new_ticket(
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    category: FromQuery[str] = "",
    card: FromQuery[str] = "",
    code: FromQuery[str] = "",
) -> Template:
    """A card that is not the resident's answers 404 like the card pages do."""
    service = SupportService(db, settings, clock)
    facts = await service.card_facts(resident.id, card) if card else None
    return await _form_page(service, resident.id, category=category, facts=facts, error_code=_error_code_or_none(code))


@post("/tickets/new")
async def new_ticket_with_what_was_typed(
    data: FormData, resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    """The form, filled with what the resident typed at the step that failed (posted by that page's
    "ask support" button, so the number never travels in a URL); nothing is filed yet."""
    values = {name: text(data, name, limit) for name, limit in _TYPED_FIELDS.items()}
    return await _form_page(
        SupportService(db, settings, clock),
        resident.id,
        category=text(data, "category", 40),
        error_code=_error_code_or_none(text(data, "error_code", 80)),
        values=values,
    )


async def _picture(data: dict[str, Any], max_bytes: int) -> bytes | None:
    """The picture chosen in the form, if any (a form without one sends an empty text field)."""
    chosen = data.get("screenshot")
    if isinstance(chosen, list):
        chosen = chosen[0] if chosen else None
    if not isinstance(chosen, UploadFile):
        return None
    content = await chosen.read(max_bytes + 1)
    await chosen.close()
    return content or None


@post("/tickets")
async def file_ticket(
    data: MultipartBody[dict[str, Any]],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """The form is multipart: it may carry one picture (``screenshot``), cleaned like a document
    photo; a file that is not a photo is refused beside the field, and nothing is filed."""
    service = SupportService(db, settings, clock)
    category, card_id = text(data, "category", 40), text(data, "card_id", 80)
    error_code = _error_code_or_none(text(data, "error_code", 80))
    values = {name: text(data, name, limit) for name, limit in _TYPED_FIELDS.items()}
    values["text"] = text(data, "text", _TEXT_READ_LIMIT)
    try:
        ticket = await service.file(
            resident.id,
            category,
            values["text"],
            card_public_id=card_id or None,
            name=values["name"],
            document_type=values["document_type"],
            document_number=values["document_number"],
            error_code=error_code,
            screenshot=await _picture(data, settings.photo_max_bytes),
        )
    except DomainError as exc:
        await db.rollback()
        facts = await _facts_or_none(service, resident.id, card_id)
        return await _form_page(
            service,
            resident.id,
            category=category,
            facts=facts,
            error_code=error_code,
            values=values,
            errors=field_errors(exc),
            status=STATUS[exc.kind],
        )
    return Redirect(f"{LIST_PATH}?filed={ticket.id}", status_code=303)


async def _facts_or_none(service: SupportService, resident_id: int, card_id: str) -> CardFacts | None:
    if not card_id:
        return None
    try:
        return await service.card_facts(resident_id, card_id)
    except DomainError:
        return None


@get("/tickets", name="support_tickets")
async def my_tickets(
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    filed: FromQuery[int | None] = None,
) -> Template:
    """``filed`` names the ticket just filed, to confirm it (only one of the resident's own)."""
    tickets = await SupportService(db, settings, clock).mine(resident.id)
    just_filed = filed is not None and any(ticket.id == filed for ticket in tickets)
    context: dict[str, Any] = {
        "tickets": tickets,
        "labels": {category.value: category.label for category in TicketCategory},
        "status_label": status_label,
        "filed": filed if just_filed else None,
        "masked_phone": mask_mobile((await get_resident(db, resident.id)).phone),
    }
    return Template(template_name="support/list.html", context=context)


resident_router = Router(
    path="/support",
    route_handlers=[new_ticket, new_ticket_with_what_was_typed, file_ticket, my_tickets],
    include_in_schema=False,
)
router = Router(path="/", route_handlers=[resident_router, desk_router], include_in_schema=False)
