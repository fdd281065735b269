"""The administrators' page of staff API keys under ``/staff/api-keys``: choose a staff account,
see its keys, make one (the key is shown on the answer to the form, this once, never stored or
redirected to), revoke one. The CLI's ``healthcode staff api-key`` does the same, by the same
service; every making and revoking is audited under the administrator."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from healthcode.apikeys.service import LABEL_CHARS, ApiKeyService, MadeKey
from healthcode.db.models import StaffAccount, StaffApiKey
from healthcode.domain.api_keys import SCOPE_ROLES, Scope
from healthcode.domain.errors import DomainError, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.i18n import translate
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.forms import FormData, field_errors, text
from healthcode.sessions.service import Principal

DESK_PATH = "/staff/api-keys"
DESKS = [Desk(Role.ADMIN, DESK_PATH, N_("Staff API keys"))]
NOTICES = {"revoked": N_("The key is revoked: it no longer works.")}


async def _page(
    service: ApiKeyService,
    principal: Principal | None,
    username: str,
    *,
    made: MadeKey | None = None,
    notice: str = "",
    errors: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    label: str = "",
    status: int = 200,
) -> Template:
    await service.admin(principal)
    accounts = list(await service.db.scalars(select(StaffAccount).order_by(StaffAccount.username)))
    account: StaffAccount | None = None
    keys: list[StaffApiKey] = []
    if username:
        try:
            account, keys = await service.of_account(username)
        except NotFound as exc:
            errors = {**(errors or {}), **field_errors(exc)}
            status = 404
    return Template(
        template_name="apikeys/desk.html",
        context={
            "accounts": accounts,
            "account": account,
            "keys": keys,
            "made": made,
            "notice": NOTICES.get(notice),
            "errors": errors or {},
            "scopes": list(Scope),
            "scope_roles": {
                scope.value: " / ".join(sorted(translate(role.label) for role in SCOPE_ROLES[scope])) for scope in Scope
            },
            "role_labels": {role.value: role.label for role in Role},
            "chosen": chosen or [],
            "label": label,
            "label_max": LABEL_CHARS,
        },
        status_code=status,
    )


@get("/", name="api_key_desk")
async def desk(
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    account: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    return await _page(ApiKeyService(db, settings, clock), staff_or_none, account[:64], notice=done)


def _values(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    return [str(v)[:20] for v in (value if isinstance(value, list) else [value])][:10]


@post("/")
async def create(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    """Make a key; the answer shows it once (no-store, never in a URL)."""
    service = ApiKeyService(db, settings, clock)
    admin = await service.admin(staff_or_none)
    username, scopes, label = text(data, "account", 64), _values(data, "scopes"), text(data, "label", 200)
    try:
        made = await service.create(username, scopes, label, actor=f"staff:{admin.id}")
    except DomainError as exc:
        await db.rollback()
        errors = field_errors(exc)
        return await _page(service, staff_or_none, username, errors=errors, chosen=scopes, label=label, status=422)
    return await _page(service, staff_or_none, username, made=made, status=201)


@post("/{key_id:str}/revoke")
async def revoke(
    key_id: FromPath[str], staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Redirect:
    service = ApiKeyService(db, settings, clock)
    admin = await service.admin(staff_or_none)
    row = await service.revoke(key_id[:16], actor=f"staff:{admin.id}")
    owner = await db.get(StaffAccount, row.staff_id)
    target = f"{DESK_PATH}?account={owner.username if owner else ''}&done=revoked"
    return Redirect(target, status_code=303)


router = Router(path=DESK_PATH, route_handlers=[desk, create, revoke], include_in_schema=False)
