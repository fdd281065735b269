"""The administrators' pages for signing keys (``/staff/admin/keys``) and other issuers' trust
lists (``/staff/admin/issuers``). The services check the role and the keys' state; refusals are
shown on the page in the reader's language (a trust list's fault in English, as the CLI says it)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template

from healthcode.codes.api import key_memory
from healthcode.codes.issuers import MAX_LIST_BYTES, TrustListRefused, key_rows
from healthcode.codes.keys import ACTIVE, NEXT, PUBLISH_AHEAD_S
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.governance.keys import KeyAdmin
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, text
from healthcode.sessions.service import Principal

KEYS_PATH = "/staff/admin/keys"
ISSUERS_PATH = "/staff/admin/issuers"
FORM_OVERHEAD = 16 * 1024

KEY_STATES = {ACTIVE: N_("Signing"), NEXT: N_("Prepared"), "retired": N_("Retired")}
KEY_NOTICES = {
    "generated": N_("The first key is active: codes can be issued."),
    "prepared": N_("The next key is published in the trust list. Rotate in {minutes} minutes or later."),
    "rotated": N_("The new key signs from now on. The old one keeps verifying the codes it signed."),
    "rotated_early": N_(
        "The new key signs from now on, but it was published less than {minutes} minutes ago: other regions "
        "may refuse its codes until they read the trust list again. Prepare first next time."
    ),
    "retired": N_("The key is retired. No code can be issued until a new key is generated."),
}
ISSUER_NOTICES = {
    "added": N_("The list is trusted: its issuer's codes verify here."),
    "replaced": N_("The newer list replaces the one stored before."),
    "removed": N_("The list is removed: its issuer's codes no longer verify here."),
}


async def _keys_page(
    admin: KeyAdmin,
    principal: Principal | None,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    view = await admin.keys(principal)
    return Template(
        template_name="governance/keys.html",
        context={
            "view": view,
            "states": KEY_STATES,
            "notice": KEY_NOTICES.get(notice),
            "minutes": PUBLISH_AHEAD_S // 60,
            "errors": errors or {},
        },
        status_code=status,
    )


@get("/keys", name="admin_keys")
async def keys_page(
    request: Request[Any, Any, Any],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
) -> Template:
    return await _keys_page(KeyAdmin(db, settings, clock, key_memory(request)), staff_or_none, notice=done)


@post("/keys/{action:str}")
async def key_action(
    request: Request[Any, Any, Any],
    action: FromPath[str],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """``generate``, ``prepare``, ``rotate`` or ``retire`` (with ``kid`` and ``confirm``)."""
    admin = KeyAdmin(db, settings, clock, key_memory(request))
    done = action + "d"
    try:
        if action == "generate":
            await admin.generate(staff_or_none)
            done = "generated"
        elif action == "prepare":
            await admin.prepare(staff_or_none)
        elif action == "rotate":
            _old, _new, in_time = await admin.rotate(staff_or_none)
            done = "rotated" if in_time else "rotated_early"
        elif action == "retire":
            await admin.retire(staff_or_none, text(data, "kid", 40), text(data, "confirm", 5) == "yes")
        else:
            raise NotFound("page_not_found", N_("There is no such page."))
    except (Conflict, InvalidInput) as exc:
        await db.rollback()
        field = exc.field or "desk"
        return await _keys_page(admin, staff_or_none, errors={field: translated(exc)}, status=STATUS[exc.kind])
    return Redirect(f"{KEYS_PATH}?done={done}", status_code=303)


async def _issuers_page(
    admin: KeyAdmin,
    principal: Principal | None,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    reason: str = "",
    status: int = 200,
) -> Template:
    view = await admin.issuers(principal)
    return Template(
        template_name="governance/issuers.html",
        context={
            "configured": view.configured,
            "configured_problem": view.configured_problem,
            "stored": view.stored,
            "names": view.names,
            "notice": ISSUER_NOTICES.get(notice),
            "errors": errors or {},
            "reason": reason,
            "max_bytes": MAX_LIST_BYTES,
            "trust_key_rows": key_rows,
        },
        status_code=status,
    )


@get("/issuers", name="admin_issuers")
async def issuers_page(
    request: Request[Any, Any, Any],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
) -> Template:
    return await _issuers_page(KeyAdmin(db, settings, clock, key_memory(request)), staff_or_none, notice=done)


@post("/issuers", request_max_body_size=MAX_LIST_BYTES + FORM_OVERHEAD)
async def add_issuer(
    request: Request[Any, Any, Any],
    data: MultipartBody[dict[str, Any]],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    chosen = data.get("file")
    if isinstance(chosen, list):
        chosen = chosen[0] if chosen else None
    filename, content = "", b""
    if isinstance(chosen, UploadFile):
        filename = chosen.filename
        content = await chosen.read(MAX_LIST_BYTES + 1)
        await chosen.close()
    admin = KeyAdmin(db, settings, clock, key_memory(request))
    try:
        _record, replaced = await admin.add_issuer(staff_or_none, content, filename[:200])
    except (InvalidInput, Conflict) as exc:
        await db.rollback()
        reason = exc.reason if isinstance(exc, TrustListRefused) else ""
        return await _issuers_page(
            admin, staff_or_none, errors={exc.field or "file": translated(exc)}, reason=reason, status=STATUS[exc.kind]
        )
    return Redirect(f"{ISSUERS_PATH}?done={'replaced' if replaced else 'added'}", status_code=303)


@post("/issuers/remove")
async def remove_issuer(
    request: Request[Any, Any, Any],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    admin = KeyAdmin(db, settings, clock, key_memory(request))
    try:
        await admin.remove_issuer(staff_or_none, text(data, "issuer", 40))
    except (NotFound, Conflict) as exc:
        await db.rollback()
        return await _issuers_page(admin, staff_or_none, errors={"issuers": translated(exc)}, status=STATUS[exc.kind])
    return Redirect(f"{ISSUERS_PATH}?done=removed", status_code=303)


HANDLERS = [keys_page, key_action, issuers_page, add_issuer, remove_issuer]
