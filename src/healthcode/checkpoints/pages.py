"""The checkpoint desk pages under ``/staff/checkpoint`` (SPEC §8), online mode.

The desk page keeps one big input focused: a keyboard-wedge scanner types the token and presses
Enter, which posts it. The verdict comes from the app's in-memory verifier (the one behind
``POST /api/v1/verifications``), so verifying reads no database; the scan is then logged.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from healthcode.checkpoints.service import MANUAL, CheckpointService, Desk, Scanned
from healthcode.codes.api import runtime
from healthcode.codes.live import card_of_claims
from healthcode.colours.service import COLOUR_WORDS
from healthcode.db.models import Scan
from healthcode.domain.colours import Colour
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.tokens import TokenKind
from healthcode.domain.tokens.format import MAX_TOKEN_CHARS
from healthcode.web.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.web.features import Desk as BackOfficeDesk
from healthcode.web.forms import FormData, field_errors, text
from healthcode.web.requests import NO_STORE

DESK_PATH = "/staff/checkpoint"

DESKS = [BackOfficeDesk(Role.CHECKPOINT, DESK_PATH, N_("Checkpoint: scan codes"))]

# Why a code is not acceptable, in words the official can say to the person.
REASON_TEXTS = {
    "ok": N_("Valid code"),
    "expired": N_("Expired: this code is out of date. Ask the person to open the code again."),
    "not_yet_valid": N_("Not yet valid: the code is from the future. Check the time on the phone."),
    "bad_signature": N_("Bad signature: this code was altered or forged. Do not accept it."),
    "unknown_issuer": N_("Unknown issuer: this code comes from an issuer we do not trust."),
    "revoked": N_("Revoked: this code has been withdrawn. Do not accept it."),
    "malformed": N_("Not a health code: the scan could not be read. Scan again or type the code."),
    MANUAL: N_("Manual check by document"),
}
TOKEN_KINDS = {TokenKind.LIVE: "live", TokenKind.PAPER: "paper"}
NOTICES = {"allow": N_("Allowed. Ready for the next person."), "deny": N_("Denied. Ready for the next person.")}


def device_of(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("user-agent", "")


def result_page(scan: Scan, *, errors: dict[str, str] | None = None, status: int = 200) -> Template:
    acceptable = scan.reason in ("ok", MANUAL) and scan.colour is not None
    colour = Colour(scan.colour) if scan.colour in {c.value for c in Colour} else None
    return Template(
        template_name="checkpoints/result.html",
        context={
            "scan": scan,
            "acceptable": acceptable,
            "colour_word": COLOUR_WORDS[colour] if colour else None,
            "reason_text": REASON_TEXTS.get(scan.reason, REASON_TEXTS["malformed"]),
            "last_four": (scan.masked_document or "")[-4:],
            "errors": errors or {},
        },
        status_code=status,
        headers=NO_STORE,
    )


async def desk_page(
    service: CheckpointService,
    desk: Desk,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return Template(
        template_name="checkpoints/desk.html",
        context={
            "desk": desk,
            "scans": await service.scans(desk),
            "reason_texts": REASON_TEXTS,
            "document_types": list(DocumentType),
            "notice": NOTICES.get(notice or ""),
            "errors": errors or {},
            "form": form or {},
            "max_token": MAX_TOKEN_CHARS,
        },
        status_code=status,
        headers=NO_STORE,
    )


@get("/", name="checkpoint_desk")
async def desk(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    service = CheckpointService(db, settings, clock)
    return await desk_page(service, await service.desk(staff_or_none), notice=done)


@post("/scan")
async def scan(
    request: Request[Any, Any, Any],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template:
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    token = text(data, "token", MAX_TOKEN_CHARS + 10)
    result = await runtime(request).verifier.verify(token)
    claims = result.claims
    scanned = Scanned(
        reason=result.reason,
        colour=result.colour,
        masked_name=result.masked_name,
        masked_document=result.masked_document,
        issuer=result.issuer,
        token_kind=TOKEN_KINDS[claims.kind] if claims else None,
        card_id=card_of_claims(settings, claims),
    )
    return result_page(await service.log_scan(here, scanned, device_of(request)))


@post("/manual")
async def manual(
    request: Request[Any, Any, Any],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template:
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    form = {name: text(data, name, 40) for name in ("document_type", "document_number", "temperature")}
    try:
        checked = await service.manual_check(
            here, form["document_type"], form["document_number"], form["temperature"], device_of(request)
        )
    except (InvalidInput, NotFound) as exc:
        await db.rollback()  # expires what the session held: read the desk again
        return await desk_page(
            service, await service.desk(staff_or_none), errors=field_errors(exc), form=form, status=422
        )
    return result_page(checked)


@post("/scans/{scan_id:int}/decision")
async def decision(
    scan_id: FromPath[int],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    chosen = text(data, "decision", 10)
    try:
        decided = await service.decide(here, scan_id, chosen, text(data, "temperature", 20))
    except InvalidInput as exc:
        await db.rollback()
        found = await db.get(Scan, scan_id)
        if found is None:
            raise
        return result_page(found, errors=field_errors(exc), status=422)
    return Redirect(f"{DESK_PATH}?done={decided.decision}", status_code=303)


router = Router(path=DESK_PATH, route_handlers=[desk, scan, manual, decision], include_in_schema=False)
