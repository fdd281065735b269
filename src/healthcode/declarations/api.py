"""Declarations API under ``/api/v1/cards/{card_id}/declarations`` (API.md)."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import FromPath, JSONBody

from healthcode.colours.schemas import ColourOut, decision_out, reasons_out
from healthcode.declarations.schemas import DeclarationIn, DeclarationOut, DeclaredOut
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, SettingsDep


@post("/", status_code=201, summary="Declare (or correct) health information for a card")
async def declare(
    card_id: FromPath[str],
    data: JSONBody[DeclarationIn],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> DeclaredOut:
    """Keeps a new version and answers with the card's colour and its reasons. Declaring again
    corrects one's own answers; it never clears an authority list or a manual recode."""
    answers = answers_from(_as_dict(data))
    done = await make_declaration_service(db, settings, clock).declare(resident.id, card_id, answers)
    card = done.card
    return DeclaredOut(
        done.declaration.version,
        done.declaration.declared_at,
        card.colour,
        reasons_out(done.reasons),
        card.green_on,
    )


@post("/preview", status_code=200, summary="What these answers would do to the colour, without keeping them")
async def preview(
    card_id: FromPath[str],
    data: JSONBody[DeclarationIn],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> ColourOut:
    """For the confirmation step (guide step 3): say which answers turn the code red or yellow."""
    answers = answers_from({**_as_dict(data), "pledge": True})
    return decision_out(await make_declaration_service(db, settings, clock).preview(resident.id, card_id, answers))


@get("/", summary="Every declared version for the card, newest first")
async def history(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> list[DeclarationOut]:
    rows = await make_declaration_service(db, settings, clock).history(resident.id, card_id)
    return [
        DeclarationOut(
            r.version,
            r.declared_at,
            r.temperature,
            r.symptoms,
            r.travel_regions,
            r.contact_with_case,
            r.under_quarantine,
            r.case_status,
        )
        for r in rows
    ]


def _as_dict(data: DeclarationIn) -> dict[str, object]:
    return {field: getattr(data, field) for field in data.__struct_fields__}


router = Router(
    path="/api/v1/cards/{card_id:str}/declarations", route_handlers=[declare, preview, history], tags=["declarations"]
)
