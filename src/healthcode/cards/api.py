"""The cards API under ``/api/v1/cards`` (API.md): apply, photos, list, read, remove."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody

from healthcode.cards.schemas import CardApplicationIn, CardOut, GuardianOut, card_out
from healthcode.cards.service import make_card_service
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, RowId, SettingsDep


@dataclass
class PhotoUpload:
    """multipart/form-data: ``side`` (front, back or page) and ``file``."""

    side: str
    file: UploadFile


@post("/", status_code=201, summary="Apply for a card (for oneself or a family member)")
async def apply(
    data: JSONBody[CardApplicationIn], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> CardOut:
    """Creates the application; verification starts once the document's photos are uploaded.
    A document that already has a card is linked to it, never duplicated."""
    view = await make_card_service(db, settings, clock).apply(
        resident.id, data.name, data.document_type, data.document_number, data.relationship
    )
    return card_out(view)


@post("/{card_id:str}/photos", status_code=201, summary="Upload a document photo")
async def upload_photo(
    card_id: FromPath[str],
    data: MultipartBody[PhotoUpload],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> CardOut:
    """``side`` is front/back (resident ID), front/page (household register) or page; JPEG, PNG or
    HEIC up to ``HEALTHCODE_PHOTO_MAX_BYTES`` (413 beyond, 415 for anything that is not a photo)."""
    content = await data.file.read(settings.photo_max_bytes + 1)
    view = await make_card_service(db, settings, clock).add_photo(resident.id, card_id, data.side, content)
    return card_out(view)


@get("/", summary="The caller's own card and family cards")
async def list_cards(resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep) -> list[CardOut]:
    return [card_out(view) for view in await make_card_service(db, settings, clock).all_for(resident.id)]


@get("/{card_id:str}", summary="One card with its status")
async def read_card(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> CardOut:
    return card_out(await make_card_service(db, settings, clock).get(resident.id, card_id))


@delete("/{card_id:str}/holding", status_code=204, summary="Take a card off this phone ('this card is not me')")
async def remove_holding(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> None:
    await make_card_service(db, settings, clock).end_link(resident.id, card_id)


@get("/{card_id:str}/guardians", summary="Family phones that show my own card")
async def list_guardians(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> list[GuardianOut]:
    rows = await make_card_service(db, settings, clock).guardians(resident.id, card_id)
    return [GuardianOut(row.id, row.relationship) for row in rows]


@delete("/{card_id:str}/guardians/{holder_id:int}", status_code=204, summary="Stop a family phone showing my card")
async def remove_guardian(
    card_id: FromPath[str],
    holder_id: RowId,
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> None:
    await make_card_service(db, settings, clock).remove_guardian(resident.id, card_id, holder_id)


router = Router(
    path="/api/v1/cards",
    route_handlers=[apply, upload_photo, list_cards, read_card, remove_holding, list_guardians, remove_guardian],
    tags=["cards"],
)
