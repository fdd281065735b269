"""The reviewers' desk pages under ``/staff/reviews``: the queue, one application, its photos and
the decision. The service checks the reviewer role; a missing sign-in becomes the sign-in page."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from healthcode.domain.cards import REJECTION_REASONS, ApplicationKind
from healthcode.domain.errors import Conflict, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.reviews.service import NOTE_MAX, REVIEW_REASONS, ReviewDetail, ReviewService

QUEUE_PATH = "/staff/reviews"
# Pages and photos with a person's full document data must not stay in any cache.

# What each kind of application asks for, as the reviewer reads it.
KIND_LABELS = {
    ApplicationKind.NEW: N_("New card"),
    ApplicationKind.JOIN: N_("Family member adds an existing card"),
    ApplicationKind.CLAIM: N_("Owner takes the card onto their own phone"),
    ApplicationKind.REBIND: N_("Owner moves the card away from another phone"),
}

NOTICES = {
    "approved": N_("Approved. The applicant has been told by text message."),
    "rejected": N_("Rejected. The applicant has been told the reason by text message."),
    "already_decided": N_("That application had already been decided; nothing was changed."),
}

DESKS = [Desk(Role.REVIEWER, QUEUE_PATH, N_("Real-name review queue"))]


def _back_to_queue(notice: str) -> Redirect:
    return Redirect(f"{QUEUE_PATH}?done={notice}", status_code=303)


def _detail_page(
    detail: ReviewDetail,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    note: str = "",
    status: int = 200,
) -> Template:
    return Template(
        template_name="reviews/detail.html",
        context={
            "detail": detail,
            "kind_label": KIND_LABELS[detail.kind],
            "reasons": [(code, REJECTION_REASONS[code]) for code in REVIEW_REASONS],
            "errors": errors or {},
            "reason": reason,
            "note": note,
            "note_max": NOTE_MAX,
        },
        status_code=status,
    )


@get("/", name="review_queue")
async def queue(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    entries = await ReviewService(db, settings, clock).queue(staff_or_none)
    return Template(
        template_name="reviews/queue.html",
        context={"entries": entries, "kind_labels": KIND_LABELS, "notice": NOTICES.get(done)},
    )


@get("/{application_id:int}", name="review_detail")
async def detail(
    application_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    return _detail_page(await ReviewService(db, settings, clock).open(staff_or_none, application_id))


@get("/{application_id:int}/photos/{side:str}", name="review_photo")
async def photo(
    application_id: RowId,
    side: FromPath[str],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response[bytes]:
    media_type, content = await ReviewService(db, settings, clock).photo(staff_or_none, application_id, side)
    return Response(content, media_type=media_type)


@post("/{application_id:int}/approve")
async def approve(
    application_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Redirect:
    try:
        await ReviewService(db, settings, clock).decide(staff_or_none, application_id, True, None)
    except Conflict as exc:
        if exc.code != "review_already_decided":
            raise
        return _back_to_queue("already_decided")
    return _back_to_queue("approved")


@post("/{application_id:int}/reject")
async def reject(
    application_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    reason, note = text(data, "reason", 40), text(data, "note", 4 * NOTE_MAX)
    service = ReviewService(db, settings, clock)
    try:
        await service.decide(staff_or_none, application_id, False, reason, note)
    except InvalidInput as exc:
        shown = await service.open(staff_or_none, application_id)
        return _detail_page(shown, errors=field_errors(exc), reason=reason, note=note, status=422)
    except Conflict as exc:
        if exc.code != "review_already_decided":
            raise
        return _back_to_queue("already_decided")
    return _back_to_queue("rejected")


router = Router(path=QUEUE_PATH, route_handlers=[queue, detail, photo, approve, reject], include_in_schema=False)
