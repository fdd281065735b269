"""Residents' side of recoding: see the recodes on a card and appeal one (GB/T 38963 correction)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Router, get, post
from litestar.params import FromPath, JSONBody

from healthcode.domain.recodes import RECODE_REASONS
from healthcode.i18n import translate
from healthcode.kit.deps import ClockDep, CurrentResident, DbSession, RowId, SettingsDep
from healthcode.recodes.service import make_recode_service


class RecodeOut(msgspec.Struct):
    """A recode as the resident sees it: colour, reason in words, the note written for them (the
    officials' evidence never leaves the back office), the appeal."""

    id: int
    colour: str
    reason_code: str
    reason: str
    note: str | None
    decided_at: datetime | None
    until: datetime | None
    status: str
    appeal_status: str
    appeal_answer: str | None


class AppealIn(msgspec.Struct):
    text: str


@get("/", summary="Recodes of one of my cards")
async def list_recodes(
    card_id: FromPath[str], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> list[RecodeOut]:
    rows = await make_recode_service(db, settings, clock).for_card(resident.id, card_id)
    return [
        RecodeOut(
            r.id,
            r.colour,
            r.reason_code,
            translate(RECODE_REASONS[r.reason_code]),
            r.resident_note,
            r.decided_at,
            r.until,
            r.status,
            r.appeal_status,
            r.appeal_answer,
        )
        for r in rows
    ]


@post("/{recode_id:int}/appeal", status_code=201, summary="Appeal a recode")
async def appeal(
    card_id: FromPath[str],
    recode_id: RowId,
    data: JSONBody[AppealIn],
    resident: CurrentResident,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, str]:
    """An official who took no part in the recode answers; granting it revokes the recode."""
    await make_recode_service(db, settings, clock).appeal(resident.id, card_id, recode_id, data.text)
    return {"appeal_status": "open"}


router = Router(path="/api/v1/cards/{card_id:str}/recodes", route_handlers=[list_recodes, appeal], tags=["recodes"])
