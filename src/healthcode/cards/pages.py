"""Resident pages for cards: the home page with my card and my family's, applying, photos,
the state of an application, and taking a card off the phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.accounts.service import get_resident
from healthcode.cards.service import CardView, make_card_service
from healthcode.config import Settings
from healthcode.domain.cards import Relationship
from healthcode.domain.clock import Clock
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.phone import mask_mobile
from healthcode.domain.recodes import RECODE_REASONS
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, RowId, SettingsDep
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.recodes.service import MAX_APPEAL, make_recode_service


@dataclass(frozen=True)
class Guardian:
    id: int
    relationship: Relationship


@dataclass
class PhotoForm:
    side: str
    file: UploadFile | None = None
    """Missing when Upload is pressed before a photo was chosen: said beside the field."""


def _apply_page(form: dict[str, str], errors: dict[str, str], family: bool, status: int = 200) -> Template:
    relationships = [r for r in Relationship if r is not Relationship.SELF] if family else [Relationship.SELF]
    return Template(
        template_name="cards/apply.html",
        context={
            "form": form,
            "errors": errors,
            "family": family,
            "document_types": list(DocumentType),
            "relationships": relationships,
        },
        status_code=status,
    )


def _card_page(view: CardView, extra: dict[str, Any], status: int = 200) -> Template:
    return Template(
        template_name="cards/card.html",
        context={
            "view": view,
            "recode_reasons": RECODE_REASONS,
            "appeal_max": MAX_APPEAL,
            "recodes": [],
            "errors": {},
            **extra,
        },
        status_code=status,
    )


# What happened, said after the confirmed removals (``?done=`` on the page that follows).
NOTICES = {
    "not_me": N_(
        "The card is no longer on this phone; the other person's card is not affected. You can now apply for your own."
    ),
    "removed": N_("The family member's card is no longer on this phone. Their card itself is not affected."),
    "guardian_removed": N_("That family phone no longer shows this card; it has been told by text message."),
    "declared": N_("Declaration saved. The health code below is made from it."),
}


@get("/", name="home")
async def home(
    resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    account = await get_resident(db, resident.id)
    views = await make_card_service(db, settings, clock).all_for(resident.id)
    own = next((v for v in views if v.relationship is Relationship.SELF), None)
    family = [v for v in views if v.relationship is not Relationship.SELF]
    return Template(
        template_name="cards/home.html",
        context={
            "masked_phone": mask_mobile(account.phone),
            "own": own,
            "family": family,
            "notice": NOTICES.get(done),
        },
    )


@get("/cards/new", name="apply")
async def apply_form(resident: CurrentResident, relationship: FromQuery[str] = "self") -> Template:
    family = relationship != "self"
    return _apply_page({"document_type": DocumentType.RESIDENT_ID.value}, {}, family)


@post("/cards")
async def apply(
    data: FormData, resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    form = {key: text(data, key, 100) for key in ("name", "document_type", "document_number", "relationship")}
    family = form["relationship"] not in ("", "self")
    try:
        view = await make_card_service(db, settings, clock).apply(
            resident.id, form["name"], form["document_type"], form["document_number"], form["relationship"] or "self"
        )
    except DomainError as exc:
        form["error_code"] = exc.code
        return _apply_page(form, field_errors(exc), family, status=STATUS[exc.kind])
    return Redirect(f"/cards/{view.card.public_id}", status_code=303)


@get("/cards/{card_id:str}", name="card")
async def card(
    card_id: FromPath[str],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
) -> Template:
    return await _render_card(db, settings, clock, resident.id, card_id, notice=NOTICES.get(done))


async def _render_card(
    db: AsyncSession,
    settings: Settings,
    clock: Clock,
    resident_id: int,
    card_id: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Template:
    """The card page, whole: also when it comes back with an error beside one of its forms."""
    service = make_card_service(db, settings, clock)
    view = await service.get(resident_id, card_id)
    guardians = [Guardian(g.id, Relationship(g.relationship)) for g in await service.guardians_of(view)]
    recodes = await make_recode_service(db, settings, clock).shown_on(view.card)
    extra = {"guardians": guardians, "recodes": recodes, "errors": errors or {}, "notice": notice}
    return _card_page(view, extra, status)


@post("/cards/{card_id:str}/recodes/{recode_id:int}/appeal")
async def appeal(
    card_id: FromPath[str],
    recode_id: RowId,
    data: FormData,
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """Contest a recode; an official who took no part in it answers (shown here)."""
    recodes = make_recode_service(db, settings, clock)
    try:
        await recodes.appeal(resident.id, card_id, recode_id, text(data, "text", 2 * MAX_APPEAL + 1))
    except DomainError as exc:
        await db.rollback()
        errors = {f"appeal-{recode_id}": translated(exc)}
        return await _render_card(db, settings, clock, resident.id, card_id, errors, STATUS[exc.kind])
    return Redirect(f"/cards/{card_id}#recodes", status_code=303)


@post("/cards/{card_id:str}/photos")
async def upload_photo(
    card_id: FromPath[str],
    data: MultipartBody[PhotoForm],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = make_card_service(db, settings, clock)
    content = await data.file.read(settings.photo_max_bytes + 1) if data.file is not None else b""
    try:
        if not content:
            raise InvalidInput("photo_missing", N_("Choose a photo first, then press Upload."), field="file")
        await service.add_photo(resident.id, card_id, data.side, content)
    except DomainError as exc:
        await db.rollback()
        errors = {f"photo-{data.side}": translated(exc)}
        return await _render_card(db, settings, clock, resident.id, card_id, errors, STATUS[exc.kind])
    return Redirect(f"/cards/{card_id}", status_code=303)


def _confirm_page(view: CardView, action: str, kind: str) -> Template:
    """A removal says what it will do and waits for a second, deliberate press."""
    return Template(template_name="cards/confirm.html", context={"view": view, "action": action, "kind": kind})


@post("/cards/{card_id:str}/remove")
async def remove(
    card_id: FromPath[str],
    data: FormData,
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """Take a card off this phone ("this card is not me", FAQ 15, or a family member's), after a
    confirmation."""
    service = make_card_service(db, settings, clock)
    view = await service.get(resident.id, card_id)
    kind = "not_me" if view.relationship is Relationship.SELF else "removed"
    if text(data, "confirmed", 5) != "yes":
        return _confirm_page(view, f"/cards/{card_id}/remove", kind)
    await service.end_link(resident.id, card_id)
    return Redirect(f"/?done={kind}", status_code=303)


@post("/cards/{card_id:str}/guardians/{holder_id:int}/remove")
async def remove_guardian(
    card_id: FromPath[str],
    holder_id: RowId,
    data: FormData,
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """Stop a family phone showing the owner's card, after a confirmation; that phone is told."""
    service = make_card_service(db, settings, clock)
    if text(data, "confirmed", 5) != "yes":
        view = await service.get(resident.id, card_id)
        return _confirm_page(view, f"/cards/{card_id}/guardians/{holder_id}/remove", "guardian_removed")
    await service.remove_guardian(resident.id, card_id, holder_id)
    return Redirect(f"/cards/{card_id}?done=guardian_removed", status_code=303)


router = Router(
    path="/",
    route_handlers=[home, apply_form, apply, card, upload_photo, remove, remove_guardian, appeal],
    include_in_schema=False,
)
