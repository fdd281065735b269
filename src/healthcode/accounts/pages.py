"""Resident pages: login by SMS code and device sessions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from healthcode.accounts.api import login_service
from healthcode.accounts.deletion import AccountDeletion, DeletionPlan
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.phone import mask_mobile
from healthcode.domain.sms import SendQuota
from healthcode.i18n import translate
from healthcode.kit.deps import (
    RESIDENT_COOKIE,
    ClientIp,
    ClockDep,
    CurrentResident,
    DbSession,
    LanguageDep,
    ResidentOrNone,
    RowId,
    SettingsDep,
)
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.kit.requests import fresh_csrf_cookie, safe_next
from healthcode.sessions.service import PrincipalKind, SessionStore


def _login_page(
    phone: str = "",
    *,
    errors: dict[str, str] | None = None,
    sent_to: str | None = None,
    quota: SendQuota | None = None,
    expires_in: int | None = None,
    next_path: str = "/",
    status: int = 200,
) -> Template:
    return Template(
        template_name="accounts/login.html",
        context={
            "phone": phone,
            "errors": errors or {},
            "sent_to": mask_mobile(sent_to) if sent_to else None,
            "quota": quota,
            "expires_minutes": (expires_in or 0) // 60,
            "next": next_path,
        },
        status_code=status,
    )


@get("/login", name="login")
async def login_form(resident_or_none: ResidentOrNone, next: FromQuery[str] = "/") -> Template | Redirect:  # noqa: A002
    if resident_or_none is not None:
        return Redirect(safe_next(next))
    return _login_page(next_path=safe_next(next))


@post("/login/code")
async def send_code(
    data: FormData, db: DbSession, settings: SettingsDep, clock: ClockDep, ip: ClientIp, language: LanguageDep
) -> Template:
    phone = text(data, "phone", 40)
    next_path = safe_next(text(data, "next"))
    service = login_service(db, settings, clock)
    try:
        sent = await service.send_code(phone, ip, language)
    except DomainError as exc:
        quota = None
        if exc.code.startswith("sms_"):
            quota = SendQuota(exc.params.get("remaining_today", 0), exc.params.get("retry_after", 0))
        status = 429 if exc.code.startswith("sms_") else 422
        return _login_page(phone, errors=field_errors(exc), quota=quota, next_path=next_path, status=status)
    return _login_page(
        sent.phone, sent_to=sent.phone, quota=sent.quota, expires_in=sent.expires_in, next_path=next_path
    )


@post("/login")
async def log_in(
    request: Request[Any, Any, Any], data: FormData, db: DbSession, settings: SettingsDep, clock: ClockDep, ip: ClientIp
) -> Template | Redirect:
    phone, code = text(data, "phone", 40), text(data, "code", 20)
    next_path = safe_next(text(data, "next"))
    try:
        done = await login_service(db, settings, clock).log_in(
            phone, code, device=request.headers.get("user-agent", ""), client_ip=ip
        )
    except DomainError as exc:
        status = 401 if exc.kind.value == "unauthenticated" else 422
        return _login_page(phone, errors=field_errors(exc), next_path=next_path, status=status)
    cookie = Cookie(
        key=RESIDENT_COOKIE,
        value=done.token,
        max_age=settings.session_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.env == "prod",
    )
    return Redirect(next_path, status_code=303, cookies=[cookie, fresh_csrf_cookie(request)])


@post("/logout")
async def log_out(resident_or_none: ResidentOrNone, db: DbSession, clock: ClockDep) -> Redirect:
    if resident_or_none is not None:
        await SessionStore(db, clock).revoke(resident_or_none, resident_or_none.session_id)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(RESIDENT_COOKIE)
    return response


@get("/account/sessions", name="sessions")
async def sessions(resident: CurrentResident, db: DbSession, clock: ClockDep) -> Template:
    rows = await SessionStore(db, clock).live(PrincipalKind.RESIDENT, resident.id)
    return Template(template_name="accounts/sessions.html", context={"rows": rows, "current_id": resident.session_id})


@post("/account/sessions/{session_id:int}/revoke")
async def revoke(session_id: RowId, resident: CurrentResident, db: DbSession, clock: ClockDep) -> Redirect:
    await SessionStore(db, clock).revoke(resident, session_id)
    if session_id == resident.session_id:
        response = Redirect("/login", status_code=303)
        response.delete_cookie(RESIDENT_COOKIE)
        return response
    return Redirect("/account/sessions", status_code=303)


@get("/account/delete", name="delete_account")
async def deletion_form(resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    """Says what deleting the account does to each card before anything is done."""
    return _deletion_page(await AccountDeletion(db, settings, clock).plan(resident.id), {})


@post("/account/delete")
async def delete_account(
    data: FormData, resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    """Deletes only with the box ticked; then says what happened, logged out."""
    service = AccountDeletion(db, settings, clock)
    if text(data, "understood", 5) != "yes":
        message = translate(N_("Tick the box to confirm that you want the account deleted."))
        return _deletion_page(await service.plan(resident.id), {"understood": message}, status=422)
    plan = await service.delete(resident.id)
    response = Template(template_name="accounts/deleted.html", context={"plan": plan})
    response.delete_cookie(RESIDENT_COOKIE)
    return response


def _deletion_page(plan: DeletionPlan, errors: dict[str, str], status: int = 200) -> Template:
    return Template(template_name="accounts/delete.html", context={"plan": plan, "errors": errors}, status_code=status)


router = Router(
    path="/",
    route_handlers=[login_form, send_code, log_in, log_out, sessions, revoke, deletion_form, delete_account],
    include_in_schema=False,
)
