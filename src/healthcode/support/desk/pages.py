"""The support agents' desk pages under ``/staff/support``: the queue, one ticket, taking it,
replying (with a status change), the ticket's picture and the fixes made from the ticket. The
service checks the support role; a missing sign-in becomes the sign-in page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from healthcode.config import Settings
from healthcode.domain.cards import LinkStatus
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.tickets import TEXT_MAX_LENGTH, TicketCategory, status_label
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.support.desk.case import OUTCOMES, CaseFacts
from healthcode.support.desk.fixes import FixDesk
from healthcode.support.desk.service import DeskService, TicketDetail

DESK_PATH = "/staff/support"
DESKS = [Desk(Role.SUPPORT, DESK_PATH, N_("Support tickets"))]
_TEXT_READ_LIMIT = 2 * TEXT_MAX_LENGTH + 1

NOTICES = {
    "assigned": N_("The ticket is yours now."),
    "replied": N_("Reply sent. The resident has been told by text message."),
    "sms_quota_reset": N_("Today's login codes for this number count from zero again."),
    "rebind": N_("The card is on the resident's new phone now. Both phones have been told by text message."),
    "recheck": N_("The application has been checked again; the result is in the replies."),
    "review": N_("The application is in the reviewers' queue now."),
    "name": N_("The name on the application has been corrected."),
    "end_link": N_("The card has been taken off the resident's phone."),
}
LINK_STATUS_LABELS = {
    LinkStatus.PENDING: N_("Waiting for its application"),
    LinkStatus.ACTIVE: N_("Shows the card"),
    LinkStatus.REJECTED: N_("Application not approved"),
    LinkStatus.ENDED: N_("Ended"),
}
APPLICATION_STATES = {
    **OUTCOMES,
    "awaiting_photos": N_("waiting for photos"),
    "withdrawn": N_("withdrawn"),
    "deciding": N_("being decided"),
}

CONTEXT_LABELS = {
    "card_id": N_("Card"),
    "error_code": N_("Error the resident saw"),
    "application_state": N_("State of the application"),
    "application_kind": N_("Kind of application"),
    "rejection_reason": N_("Reason of the rejection"),
}


def _labels() -> dict[str, str]:
    return {category.value: category.label for category in TicketCategory}


def _ticket_page(
    detail: TicketDetail,
    case: CaseFacts,
    settings: Settings,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    reply: str = "",
    status: str = "",
    code: int = 200,
    show_photo: bool = False,
    typed_name: str = "",
) -> Template:
    return Template(
        template_name="support/desk_ticket.html",
        context={
            "detail": detail,
            "labels": _labels(),
            "status_label": status_label,
            "context_labels": CONTEXT_LABELS,
            "target_hours": settings.support_target_hours,
            "notice": NOTICES.get(notice or ""),
            "errors": errors or {},
            "reply": reply,
            "status": status,
            "text_max": TEXT_MAX_LENGTH,
            "case": case,
            "show_photo": show_photo and detail.has_screenshot,
            "typed_name": typed_name,
            "link_status_labels": LINK_STATUS_LABELS,
            "application_states": APPLICATION_STATES,
        },
        status_code=code,
    )


@get("/", name="support_queue")
async def queue(staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    entries = await DeskService(db, settings, clock).queue(staff_or_none)
    return Template(
        template_name="support/desk_queue.html",
        context={
            "entries": entries,
            "labels": _labels(),
            "status_label": status_label,
            "target_hours": settings.support_target_hours,
        },
    )


@get("/{ticket_id:int}", name="support_ticket")
async def ticket(
    ticket_id: RowId,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
    show: FromQuery[str] = "",
) -> Template:
    """``show=photo`` shows the ticket's picture (each view of it is audited)."""
    detail, case = await FixDesk(db, settings, clock).open_case(staff_or_none, ticket_id)
    return _ticket_page(detail, case, settings, notice=done, show_photo=show == "photo")


@get("/{ticket_id:int}/screenshot", name="support_screenshot")
async def screenshot(
    ticket_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Response[bytes]:
    media_type, content = await DeskService(db, settings, clock).screenshot(staff_or_none, ticket_id)
    return Response(content, media_type=media_type)


async def _fix(
    ticket_id: int,
    name: str,
    service: FixDesk,
    staff_or_none: StaffOrNone,
    settings: Settings,
    action: Callable[[], Awaitable[object]],
    *,
    typed_name: str = "",
) -> Template | Redirect:
    """Run one fix; a refusal shows the ticket again with the reason beside that fix's button."""
    try:
        await action()
    except DomainError as exc:
        await service.db.rollback()
        detail, case = await service.open_case(staff_or_none, ticket_id)
        errors = {name: translated(exc)}
        return _ticket_page(detail, case, settings, errors=errors, code=STATUS[exc.kind], typed_name=typed_name)
    return Redirect(f"{DESK_PATH}/{ticket_id}?done={name}#fixes-heading", status_code=303)


@post("/{ticket_id:int}/rebind")
async def rebind(
    ticket_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = FixDesk(db, settings, clock)
    confirmed = text(data, "confirmed", 10) == "yes"
    return await _fix(
        ticket_id,
        "rebind",
        service,
        staff_or_none,
        settings,
        lambda: service.rebind(staff_or_none, ticket_id, confirmed),
    )


@post("/{ticket_id:int}/recheck")
async def recheck(
    ticket_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    service = FixDesk(db, settings, clock)
    return await _fix(
        ticket_id, "recheck", service, staff_or_none, settings, lambda: service.recheck(staff_or_none, ticket_id)
    )


@post("/{ticket_id:int}/review")
async def send_to_review(
    ticket_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    service = FixDesk(db, settings, clock)
    return await _fix(
        ticket_id, "review", service, staff_or_none, settings, lambda: service.send_to_review(staff_or_none, ticket_id)
    )


@post("/{ticket_id:int}/name")
async def correct_name(
    ticket_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = FixDesk(db, settings, clock)
    name = text(data, "name", 60)
    return await _fix(
        ticket_id,
        "name",
        service,
        staff_or_none,
        settings,
        lambda: service.correct_name(staff_or_none, ticket_id, name),
        typed_name=name,
    )


@post("/{ticket_id:int}/end-link")
async def end_link(
    ticket_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = FixDesk(db, settings, clock)
    card_id = text(data, "card_id", 80)
    return await _fix(
        ticket_id,
        "end_link",
        service,
        staff_or_none,
        settings,
        lambda: service.end_link(staff_or_none, ticket_id, card_id),
    )


@post("/{ticket_id:int}/assign")
async def assign(
    ticket_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Redirect:
    await DeskService(db, settings, clock).assign_to_self(staff_or_none, ticket_id)
    return Redirect(f"{DESK_PATH}/{ticket_id}?done=assigned", status_code=303)


@post("/{ticket_id:int}/sms-quota")
async def reset_sms_quota(
    ticket_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Redirect:
    await DeskService(db, settings, clock).reset_sms_quota(staff_or_none, ticket_id)
    return Redirect(f"{DESK_PATH}/{ticket_id}?done=sms_quota_reset", status_code=303)


@post("/{ticket_id:int}/reply")
async def reply(
    ticket_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    body, status = text(data, "text", _TEXT_READ_LIMIT), text(data, "status", 20)
    service = FixDesk(db, settings, clock)
    try:
        await service.reply(staff_or_none, ticket_id, body, status or None)
    except InvalidInput as exc:
        await db.rollback()
        shown, case = await service.open_case(staff_or_none, ticket_id)
        return _ticket_page(shown, case, settings, errors=field_errors(exc), reply=body, status=status, code=422)
    return Redirect(f"{DESK_PATH}/{ticket_id}?done=replied", status_code=303)


router = Router(
    path=DESK_PATH,
    route_handlers=[
        queue,
        ticket,
        screenshot,
        assign,
        reset_sms_quota,
        reply,
        rebind,
        recheck,
        send_to_review,
        correct_name,
        end_link,
    ],
    include_in_schema=False,
)
