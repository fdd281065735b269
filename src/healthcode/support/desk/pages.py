"""The support agents' desk pages under ``/staff/support``: the queue, one ticket, taking it, and
replying (with a status change). The service checks the support role; a missing sign-in becomes
the sign-in page."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from healthcode.config import Settings
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.tickets import TEXT_MAX_LENGTH, TicketCategory, status_label
from healthcode.support.desk.service import DeskService, TicketDetail
from healthcode.web.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.web.features import Desk
from healthcode.web.forms import FormData, field_errors, text
from healthcode.web.requests import NO_STORE

DESK_PATH = "/staff/support"
DESKS = [Desk(Role.SUPPORT, DESK_PATH, N_("Support tickets"))]
_TEXT_READ_LIMIT = 2 * TEXT_MAX_LENGTH + 1

NOTICES = {
    "assigned": N_("The ticket is yours now."),
    "replied": N_("Reply sent. The resident has been told by text message."),
    "sms_quota_reset": N_("Today's login codes for this number count from zero again."),
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
    settings: Settings,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    reply: str = "",
    status: str = "",
    code: int = 200,
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
        },
        status_code=code,
        headers=NO_STORE,
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
) -> Template:
    detail = await DeskService(db, settings, clock).open(staff_or_none, ticket_id)
    return _ticket_page(detail, settings, notice=done)


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
    service = DeskService(db, settings, clock)
    try:
        await service.reply(staff_or_none, ticket_id, body, status or None)
    except InvalidInput as exc:
        await db.rollback()
        shown = await service.open(staff_or_none, ticket_id)
        return _ticket_page(shown, settings, errors=field_errors(exc), reply=body, status=status, code=422)
    return Redirect(f"{DESK_PATH}/{ticket_id}?done=replied", status_code=303)


router = Router(path=DESK_PATH, route_handlers=[queue, ticket, assign, reset_sms_quota, reply], include_in_schema=False)
