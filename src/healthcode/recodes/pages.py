"""The health authority's recoding desk under ``/staff/recodes``: propose a recode, decide other
officials' proposals (four-eyes), and answer residents' appeals.

The service enforces the roles and the four-eyes rule; this module only turns its refusals into
messages on the desk page, so an official who tries to decide their own proposal reads why.
"""

from __future__ import annotations

import unicodedata

from litestar import Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from healthcode.domain.colours import COLOUR_WORDS, Colour
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.recodes import MAX_DAYS, MAX_EVIDENCE, MAX_RESIDENT_NOTE, MIN_EVIDENCE, RECODE_REASONS
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.recodes.service import MAX_APPEAL, RecodeService, make_recode_service
from healthcode.sessions.service import Principal

DESK_PATH = "/staff/recodes"
# The desk shows evidence and appeal texts about named people: never keep it in a cache.
# Forms cap texts at their maximum, but browsers send each line break as two characters.
EVIDENCE_READ_LIMIT = 2 * MAX_EVIDENCE + 1
NOTE_READ_LIMIT = 2 * MAX_RESIDENT_NOTE + 1
ANSWER_READ_LIMIT = 2 * MAX_APPEAL + 1
PROPOSE_FIELDS = {"document_type": 40, "document_number": 40, "colour": 10, "reason_code": 40, "days": 10}
# The most severe first: a recode is nearly always to red or yellow.
COLOURS = (Colour.RED, Colour.YELLOW, Colour.GREEN)

NOTICES = {
    "proposed": N_("Proposed. Another official must approve it before the colour changes."),
    "approved": N_("Approved. The recode is in force; the resident is told by text message when the colour changes."),
    "declined": N_("Declined. The card's colour is unchanged."),
    "already_decided": N_("That proposal had already been decided; nothing was changed."),
    "upheld": N_("Appeal answered: the recode stands. The resident can read your answer."),
    "granted": N_("Appeal granted: the recode is revoked and the card's colour recomputed."),
    "already_answered": N_("That appeal had already been answered; nothing was changed."),
}

DESKS = [Desk(Role.AUTHORITY, DESK_PATH, N_("Recoding (four-eyes) and appeals"))]


def document_label(value: str) -> str:
    """The English msgid of a stored document type (the value itself if it is unknown)."""
    try:
        return DocumentType(value).label
    except ValueError:
        return value


def _back(notice: str) -> Redirect:
    return Redirect(f"{DESK_PATH}?done={notice}", status_code=303)


async def _desk_page(
    service: RecodeService,
    principal: Principal | None,
    *,
    notice: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    waiting = await service.to_decide(principal)
    mine = await service.my_proposals(principal)
    appeals = await service.appeals(principal)
    form = values or {}
    return Template(
        template_name="recodes/desk.html",
        context={
            "waiting": waiting,
            "mine": mine,
            "appeals": appeals,
            "notice": NOTICES.get(notice or ""),
            "values": {"document_type": DocumentType.RESIDENT_ID.value, **form},
            "errors": errors or {},
            "document_types": list(DocumentType),
            "document_label": document_label,
            "colours": [(colour.value, COLOUR_WORDS[colour]) for colour in COLOURS],
            "colour_labels": {colour.value: COLOUR_WORDS[colour] for colour in Colour},
            "reasons": RECODE_REASONS,
            "evidence_min": MIN_EVIDENCE,
            "evidence_max": MAX_EVIDENCE,
            "note_max": MAX_RESIDENT_NOTE,
            "max_days": MAX_DAYS,
            "answer_max": MAX_APPEAL,
        },
        status_code=status,
    )


def _days(raw: str) -> int | None:
    """Days as typed (full-width digits from a Chinese input method too); empty means until revoked."""
    typed = unicodedata.normalize("NFKC", raw).strip()
    if not typed:
        return None
    if not typed.isdigit():
        raise InvalidInput(
            "recode_days", N_("A recode lasts 1 to {n} days, or until it is revoked."), field="days", n=MAX_DAYS
        )
    return int(typed[:6])


@get("/", name="recode_desk")
async def desk(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    return await _desk_page(make_recode_service(db, settings, clock), staff_or_none, notice=done)


@post("/")
async def propose(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    values = {name: text(data, name, limit) for name, limit in PROPOSE_FIELDS.items()}
    values["evidence"] = text(data, "evidence", EVIDENCE_READ_LIMIT)
    values["resident_note"] = text(data, "resident_note", NOTE_READ_LIMIT)
    service = make_recode_service(db, settings, clock)
    try:
        await service.propose(
            staff_or_none,
            values["document_type"],
            values["document_number"],
            values["colour"],
            values["reason_code"],
            values["evidence"],
            _days(values["days"]),
            values["resident_note"],
        )
    except DomainError as exc:
        # Showing the desk again checks the caller's role first, so a refusal of the role is
        # never turned into a form message.
        await db.rollback()
        return await _desk_page(
            service, staff_or_none, values=values, errors=field_errors(exc), status=STATUS[exc.kind]
        )
    return _back("proposed")


async def _decide(
    recode_id: int, approve: bool, principal: Principal | None, service: RecodeService
) -> Template | Redirect:
    try:
        await service.decide(principal, recode_id, approve)
    except Conflict as exc:
        if exc.code != "recode_already_decided":
            raise
        return _back("already_decided")
    except Forbidden as exc:
        if exc.code != "four_eyes_required":
            raise
        await service.db.rollback()
        return await _desk_page(service, principal, errors={"desk": translated(exc)}, status=403)
    return _back("approved" if approve else "declined")


@post("/{recode_id:int}/approve")
async def approve(
    recode_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    return await _decide(recode_id, True, staff_or_none, make_recode_service(db, settings, clock))


@post("/{recode_id:int}/decline")
async def decline(
    recode_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    return await _decide(recode_id, False, staff_or_none, make_recode_service(db, settings, clock))


@post("/{recode_id:int}/appeal")
async def answer_appeal(
    recode_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """``grant`` is ``yes`` (revoke the recode) or ``no`` (uphold it); ``answer`` is what the resident reads."""
    grant, answer = text(data, "grant", 5), text(data, "answer", ANSWER_READ_LIMIT)
    field = f"answer-{recode_id}"
    service = make_recode_service(db, settings, clock)
    try:
        if grant not in ("yes", "no"):
            raise InvalidInput(
                "appeal_grant", N_("Choose whether to uphold the recode or grant the appeal."), field="grant"
            )
        await service.answer_appeal(staff_or_none, recode_id, grant == "yes", answer)
    except Conflict as exc:
        if exc.code != "appeal_not_open":
            raise
        return _back("already_answered")
    except (InvalidInput, Forbidden) as exc:
        if isinstance(exc, Forbidden) and exc.code != "four_eyes_required":
            raise
        await db.rollback()
        key = field if exc.field in ("answer", "grant") else "desk"
        return await _desk_page(
            service, staff_or_none, values={field: answer}, errors={key: translated(exc)}, status=STATUS[exc.kind]
        )
    return _back("granted" if grant == "yes" else "upheld")


router = Router(
    path=DESK_PATH, route_handlers=[desk, propose, approve, decline, answer_appeal], include_in_schema=False
)
