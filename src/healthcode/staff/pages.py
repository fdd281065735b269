"""Back-office sign-in, the shell page that later features fill with their desks, and the
administrators' pages of staff accounts and checkpoint sites (:mod:`healthcode.staff.admin`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from healthcode.domain.errors import DomainError
from healthcode.domain.roles import Role
from healthcode.kit.deps import STAFF_COOKIE, ClientIp, ClockDep, DbSession, SettingsDep, StaffOrNone, app_context
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.kit.requests import fresh_csrf_cookie
from healthcode.sessions.service import SessionStore
from healthcode.staff.admin.pages import DESKS
from healthcode.staff.admin.pages import router as admin_router
from healthcode.staff.service import StaffService

COOKIE_PATH = "/staff"
__all__ = ["DESKS", "router"]


@get("/login", name="staff_login")
async def sign_in_form(staff_or_none: StaffOrNone) -> Template | Redirect:
    if staff_or_none is not None:
        return Redirect("/staff")
    return Template(template_name="staff/login.html", context={"username": "", "errors": {}})


@post("/login")
async def sign_in(
    request: Request[Any, Any, Any], data: FormData, db: DbSession, settings: SettingsDep, clock: ClockDep, ip: ClientIp
) -> Template | Redirect:
    username = text(data, "username", 64)
    try:
        done = await StaffService(db, settings, clock).sign_in(
            username,
            text(data, "password", 200),
            text(data, "totp", 12),
            device=request.headers.get("user-agent", ""),
            client_ip=ip,
        )
    except DomainError as exc:
        return Template(
            template_name="staff/login.html",
            context={"username": username, "errors": field_errors(exc)},
            status_code=401,
        )
    cookie = Cookie(
        key=STAFF_COOKIE,
        value=done.token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.env == "prod",
    )
    return Redirect("/staff", status_code=303, cookies=[cookie, fresh_csrf_cookie(request)])


@get("/", name="staff_home")
async def shell(
    request: Request[Any, Any, Any], staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    if staff_or_none is None:
        return Redirect("/staff/login")
    account = await StaffService(db, settings, clock).get(staff_or_none.id)
    roles = [Role(r) for r in account.roles]
    # A desk offered to several roles (statistics) is listed once.
    desks = list({desk.path: desk for desk in app_context(request).desks if desk.role in roles}.values())
    return Template(template_name="staff/shell.html", context={"account": account, "roles": roles, "desks": desks})


@post("/logout")
async def sign_out(staff_or_none: StaffOrNone, db: DbSession, clock: ClockDep) -> Redirect:
    if staff_or_none is not None:
        await SessionStore(db, clock).revoke(staff_or_none, staff_or_none.session_id)
    response = Redirect("/staff/login", status_code=303)
    response.delete_cookie(STAFF_COOKIE, path=COOKIE_PATH)
    return response


shell_router = Router(path="/staff", route_handlers=[sign_in_form, sign_in, shell, sign_out], include_in_schema=False)
router = Router(path="/", route_handlers=[shell_router, admin_router], include_in_schema=False)
