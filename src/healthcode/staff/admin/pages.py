"""The administrators' pages under ``/staff/admin``: staff accounts (list, create, roles, disable and
enable, new password, new second factor, unlock) and checkpoint sites (list, create, edit, who works
where). Every handler first checks the ``admin`` role; the use cases are those the CLI calls.

A new password or authenticator secret is shown once, in the answer to the form that made it
(``Cache-Control: no-store``): reloading does not show it again, and it is never in a URL or a log.
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.config import Settings
from healthcode.db.models import StaffAccount
from healthcode.domain.clock import Clock
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.errors import STATUS
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.sessions.service import Principal
from healthcode.staff.admin.service import StaffAdminService
from healthcode.staff.service import StaffService

ACCOUNTS_PATH = "/staff/admin/accounts"
SITES_PATH = "/staff/admin/sites"
DESKS = [
    Desk(Role.ADMIN, ACCOUNTS_PATH, N_("Staff accounts")),
    Desk(Role.ADMIN, SITES_PATH, N_("Checkpoint sites")),
]

NOTICES = {
    "roles": N_("The roles are saved."),
    "disabled": N_("The account is disabled and signed out everywhere."),
    "enabled": N_("The account can sign in again."),
    "unlocked": N_("The lockout is lifted."),
    "site_created": N_("The site is created."),
    "site_saved": N_("The site is saved."),
    "bound": N_("The account now works at the chosen site."),
    "unbound": N_("The account no longer works at a site."),
}


async def _admin(principal: Principal | None, db: AsyncSession, settings: Settings, clock: Clock) -> StaffAccount:
    return await StaffService(db, settings, clock).authorize(principal, Role.ADMIN)


def _values(form: dict[str, Any], name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), as strings."""
    value = form.get(name, [])
    return [str(v)[:40] for v in (value if isinstance(value, list) else [value])][:20]


def _qr(uri: str) -> str:
    """The enrolment URI as an SVG data URI (an authenticator app scans it from the screen)."""
    return str(segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=2))


def _role_label(value: str) -> str:
    """The English msgid of a stored role's name (the value itself for a role no longer known)."""
    return Role(value).label if value in {role.value for role in Role} else value


def _page(name: str, context: dict[str, Any], *, status: int = 200) -> Template:
    return Template(
        template_name=f"staff/admin/{name}.html",
        context={"roles_all": list(Role), "role_label": _role_label, **context},
        status_code=status,
    )


# --- staff accounts -------------------------------------------------------------------------------


async def _accounts_page(
    service: StaffAdminService,
    me: StaffAccount,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return _page(
        "accounts",
        {
            "rows": await service.accounts(),
            "me": me,
            "values": values or {"roles": []},
            "errors": errors or {},
        },
        status=status,
    )


@get("/accounts", name="admin_accounts")
async def accounts(staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    me = await _admin(staff_or_none, db, settings, clock)
    return await _accounts_page(StaffAdminService(db, settings, clock), me)


@post("/accounts")
async def create_account(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    me = await _admin(staff_or_none, db, settings, clock)
    service = StaffAdminService(db, settings, clock)
    values: dict[str, Any] = {
        "username": text(data, "username", 64),
        "display_name": text(data, "display_name", 100),
        "roles": _values(data, "roles"),
    }
    try:
        created = await service.create(
            values["username"], values["display_name"], values["roles"], actor=f"staff:{me.id}"
        )
    except DomainError as exc:
        await db.rollback()
        return await _accounts_page(service, me, values=values, errors=field_errors(exc), status=STATUS[exc.kind])
    return _page(
        "secret",
        {
            "account": created.account,
            "heading": N_("Account created"),
            "password": created.password,
            "totp_secret": created.totp_secret,
            "qr": _qr(created.provisioning_uri),
            "uri": created.provisioning_uri,
        },
    )


async def _account_page(
    service: StaffAdminService,
    me: StaffAccount,
    staff_id: int,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    status: int = 200,
) -> Template:
    row = await service.account(staff_id)
    return _page(
        "account",
        {
            "row": row,
            "me": me,
            "notice": NOTICES.get(notice),
            "errors": errors or {},
            "chosen": row.account.roles if chosen is None else chosen,
        },
        status=status,
    )


@get("/accounts/{staff_id:int}", name="admin_account")
async def account(
    staff_id: RowId,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
) -> Template:
    me = await _admin(staff_or_none, db, settings, clock)
    return await _account_page(StaffAdminService(db, settings, clock), me, staff_id, notice=done)


@post("/accounts/{staff_id:int}/roles")
async def change_roles(
    staff_id: RowId, data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    me = await _admin(staff_or_none, db, settings, clock)
    service = StaffAdminService(db, settings, clock)
    chosen = _values(data, "roles")
    try:
        await service.set_roles(staff_id, chosen, actor=f"staff:{me.id}")
    except DomainError as exc:
        await db.rollback()
        errors = field_errors(exc)
        return await _account_page(service, me, staff_id, errors=errors, chosen=chosen, status=STATUS[exc.kind])
    return Redirect(f"{ACCOUNTS_PATH}/{staff_id}?done=roles", status_code=303)


async def _simple_change(
    action: str, staff_id: int, principal: Principal | None, db: AsyncSession, settings: Settings, clock: Clock
) -> Template | Redirect:
    """Disable, enable or unlock: one button each; a refusal is shown on the account's page."""
    me = await _admin(principal, db, settings, clock)
    service = StaffAdminService(db, settings, clock)
    change = {"disabled": service.disable, "enabled": service.enable, "unlocked": service.unlock}[action]
    try:
        await change(staff_id, actor=f"staff:{me.id}")
    except DomainError as exc:
        await db.rollback()
        return await _account_page(service, me, staff_id, errors=field_errors(exc), status=STATUS[exc.kind])
    return Redirect(f"{ACCOUNTS_PATH}/{staff_id}?done={action}", status_code=303)


@post("/accounts/{staff_id:int}/disable")
async def disable(
    staff_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    return await _simple_change("disabled", staff_id, staff_or_none, db, settings, clock)


@post("/accounts/{staff_id:int}/enable")
async def enable(
    staff_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    return await _simple_change("enabled", staff_id, staff_or_none, db, settings, clock)


@post("/accounts/{staff_id:int}/unlock")
async def unlock(
    staff_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    return await _simple_change("unlocked", staff_id, staff_or_none, db, settings, clock)


@post("/accounts/{staff_id:int}/password")
async def reset_password(
    staff_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    me = await _admin(staff_or_none, db, settings, clock)
    service = StaffAdminService(db, settings, clock)
    password = await service.reset_password(staff_id, actor=f"staff:{me.id}")
    target = await service.account(staff_id)
    return _page("secret", {"account": target.account, "heading": N_("New password"), "password": password})


@post("/accounts/{staff_id:int}/authenticator")
async def reset_authenticator(
    staff_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    me = await _admin(staff_or_none, db, settings, clock)
    enrolled = await StaffAdminService(db, settings, clock).reset_authenticator(staff_id, actor=f"staff:{me.id}")
    return _page(
        "secret",
        {
            "account": enrolled.account,
            "heading": N_("New second factor"),
            "totp_secret": enrolled.secret,
            "qr": _qr(enrolled.provisioning_uri),
            "uri": enrolled.provisioning_uri,
        },
    )


# --- checkpoint sites -----------------------------------------------------------------------------


async def _sites_page(
    db: AsyncSession,
    settings: Settings,
    clock: Clock,
    *,
    notice: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    sites = SiteService(db, settings, clock)
    return _page(
        "sites",
        {
            "sites": await sites.all(),
            "staffing": await sites.staffing(),
            "notice": NOTICES.get(notice),
            "values": values or {},
            "errors": errors or {},
        },
        status=status,
    )


@get("/sites", name="admin_sites")
async def sites(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    await _admin(staff_or_none, db, settings, clock)
    return await _sites_page(db, settings, clock, notice=done)


def _site_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": text(data, "name", 200),
        "region": text(data, "region", 20),
        "temperature_required": text(data, "temperature_required", 10) == "on",
    }


@post("/sites")
async def create_site(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    me = await _admin(staff_or_none, db, settings, clock)
    values = _site_values(data)
    try:
        site = await SiteService(db, settings, clock).create(
            values["name"],
            values["region"],
            temperature_required=values["temperature_required"],
            actor=f"staff:{me.id}",
        )
    except DomainError as exc:
        await db.rollback()
        return await _sites_page(db, settings, clock, values=values, errors=field_errors(exc), status=STATUS[exc.kind])
    return Redirect(f"{SITES_PATH}?done=site_created#site-{site.id}", status_code=303)


@get("/sites/{site_id:int}", name="admin_site")
async def site(
    site_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    await _admin(staff_or_none, db, settings, clock)
    found = await SiteService(db, settings, clock).get(site_id)
    values = {"name": found.name, "region": found.region_code, "temperature_required": found.temperature_required}
    return _page("site", {"site": found, "values": values, "errors": {}})


@post("/sites/{site_id:int}")
async def edit_site(
    site_id: RowId, data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    me = await _admin(staff_or_none, db, settings, clock)
    service = SiteService(db, settings, clock)
    values = _site_values(data)
    try:
        await service.update(
            site_id,
            values["name"],
            values["region"],
            temperature_required=values["temperature_required"],
            actor=f"staff:{me.id}",
        )
    except DomainError as exc:
        await db.rollback()
        found = await service.get(site_id)
        errors = field_errors(exc)
        return _page("site", {"site": found, "values": values, "errors": errors}, status=STATUS[exc.kind])
    return Redirect(f"{SITES_PATH}?done=site_saved#site-{site_id}", status_code=303)


@post("/sites/staffing")
async def bind(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    """Bind a checkpoint account to the chosen site, or unbind it when "no site" is chosen."""
    me = await _admin(staff_or_none, db, settings, clock)
    service = SiteService(db, settings, clock)
    username, chosen = text(data, "username", 64), text(data, "site_id", 20)
    try:
        if chosen:
            await service.bind(username, int(chosen) if chosen.isdigit() else 0, actor=f"staff:{me.id}")
        else:
            await service.unbind(username, actor=f"staff:{me.id}")
    except DomainError as exc:
        await db.rollback()
        return await _sites_page(db, settings, clock, errors=field_errors(exc), status=STATUS[exc.kind])
    return Redirect(f"{SITES_PATH}?done={'bound' if chosen else 'unbound'}#staffing", status_code=303)


router = Router(
    path="/staff/admin",
    route_handlers=[
        accounts,
        create_account,
        account,
        change_roles,
        disable,
        enable,
        unlock,
        reset_password,
        reset_authenticator,
        sites,
        create_site,
        site,
        edit_site,
        bind,
    ],
    include_in_schema=False,
)
