"""The clerk's pages for walk-ins under ``/staff/walk-ins`` (SPEC §9): register a person with no
card and no phone, photograph their document with the desk's camera (or upload the photos), follow
the real-name check, take their health declaration at the desk; the certificate is then printed
on the certificates desk (``/staff/certificates``), where every step leads back.

The desk's lookup sends a document it did not find here by POST (``prefill``), so the number never
sits in a URL, a log or the history.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template

from healthcode.colours.schemas import decision_out
from healthcode.declarations.pages import YES, checked_answers, declaration_form, form_values
from healthcode.declarations.service import own_part
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.kit.errors import STATUS
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.walkins.service import WalkIn, make_walk_in_service

DESK_PATH = "/staff/walk-ins"
CERTIFICATES_PATH = "/staff/certificates"
# Every side of a document at the largest photo size the settings allow by default, and the form.
MAX_PHOTOS_BODY = 2 * 16_000_000 + 64 * 1024
REFRESH_SECONDS = 5
DESK_PLEDGE = N_("The person declared these answers to be true, knowing that false declarations are prosecuted.")


def _register_page(form: dict[str, str], errors: dict[str, str], status: int = 200) -> Template:
    return Template(
        template_name="walkins/register.html",
        context={"form": form, "errors": errors, "document_types": list(DocumentType)},
        status_code=status,
    )


def _walk_in_page(walk_in: WalkIn, errors: dict[str, str] | None = None, status: int = 200) -> Template:
    return Template(
        template_name="walkins/walk_in.html",
        context={
            "walk_in": walk_in,
            "errors": errors or {},
            "refresh_seconds": REFRESH_SECONDS if walk_in.state == "checking" and not walk_in.in_review else None,
        },
        status_code=status,
    )


def _declaration_form(card: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Template:
    return declaration_form(
        card, values, errors, status, action=f"{DESK_PATH}/{card.public_id}/declare", pledge=DESK_PLEDGE
    )


@get("/", name="walk_in_register")
async def register_form(staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    await make_walk_in_service(db, settings, clock).authorize(staff_or_none)
    return _register_page({}, {})


@post("/")
async def register(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    """Register the person; ``prefill`` only shows the form with the document the desk looked up."""
    form = {name: text(data, name, 50) for name in ("name", "document_type", "document_number")}
    service = make_walk_in_service(db, settings, clock)
    if text(data, "prefill", 5) == YES:
        await service.authorize(staff_or_none)
        return _register_page(form, {})
    try:
        card = await service.register(staff_or_none, form["name"], form["document_type"], form["document_number"])
    except (InvalidInput, DomainError) as exc:
        await db.rollback()
        return _register_page(form, field_errors(exc), status=STATUS[exc.kind])
    return Redirect(f"{DESK_PATH}/{card.public_id}", status_code=303)


@get("/{card_id:str}", name="walk_in")
async def walk_in_page(
    card_id: FromPath[str], staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    return _walk_in_page(await make_walk_in_service(db, settings, clock).walk_in(staff_or_none, card_id))


@post("/{card_id:str}/photos", request_max_body_size=MAX_PHOTOS_BODY)
async def photos(
    card_id: FromPath[str],
    data: MultipartBody[dict[str, Any]],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """The sides chosen or taken (``photo-front`` …); a side left empty keeps what was there."""
    taken: dict[str, bytes] = {}
    for name, value in data.items():
        chosen = value[0] if isinstance(value, list) and value else value
        if name.startswith("photo-") and isinstance(chosen, UploadFile):
            content = await chosen.read(settings.photo_max_bytes + 1)
            await chosen.close()
            if content:
                taken[name.removeprefix("photo-")] = content
    service = make_walk_in_service(db, settings, clock)
    try:
        await service.add_photos(staff_or_none, card_id, taken)
    except DomainError as exc:
        await db.rollback()
        return _walk_in_page(await service.walk_in(staff_or_none, card_id), field_errors(exc), STATUS[exc.kind])
    return Redirect(f"{DESK_PATH}/{card_id}", status_code=303)


@get("/{card_id:str}/declare", name="walk_in_declare")
async def declare_form(
    card_id: FromPath[str], staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    card = await make_walk_in_service(db, settings, clock).declarable(staff_or_none, card_id)
    return _declaration_form(card, form_values({}), {})


@post("/{card_id:str}/declare")
async def declare(
    card_id: FromPath[str],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """As on a phone: answers that turn the code red or yellow are confirmed with their reasons
    first; then the card is recoloured and the clerk is back on the certificates desk to print."""
    service = make_walk_in_service(db, settings, clock)
    card = await service.declarable(staff_or_none, card_id)
    values = form_values(data)
    try:
        answers = checked_answers(values)
        if text(data, "edit", 5) == YES:
            return _declaration_form(card, values, {})
        if text(data, "confirmed", 5) != YES:
            own = own_part(await service.preview(card, answers))
            if own is not None:
                return Template(
                    template_name="declarations/confirm.html",
                    context={
                        "card": card,
                        "form": values,
                        "decision": decision_out(own),
                        "action": f"{DESK_PATH}/{card_id}/declare",
                    },
                )
        await service.declare(staff_or_none, card_id, answers)
    except DomainError as exc:
        await db.rollback()
        return _declaration_form(card, values, field_errors(exc), status=422)
    return Redirect(f"{CERTIFICATES_PATH}?{urlencode({'card': card_id, 'done': 'declared'})}", status_code=303)


router = Router(
    path=DESK_PATH,
    route_handlers=[register_form, register, walk_in_page, photos, declare_form, declare],
    include_in_schema=False,
)
