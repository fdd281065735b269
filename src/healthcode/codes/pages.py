"""The code page (SPEC §7): the live QR, framed in its colour, refreshed before it expires."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from healthcode.cards.service import make_card_service
from healthcode.codes.api import code_issuer, key_memory
from healthcode.codes.keys import KeyService
from healthcode.codes.live import code_for
from healthcode.domain.cards import LinkStatus, Relationship
from healthcode.domain.errors import Conflict
from healthcode.kit.compression import COMPRESSES_ITSELF, PageWithInlinedFiles
from healthcode.kit.deps import RESIDENT_COOKIE, ClockDep, CurrentResident, DbSession, SettingsDep, app_context
from healthcode.sessions.service import SessionStore


@get("/cards/{card_id:str}/code", name="code", opt={COMPRESSES_ITSELF: True})
async def code_page(request: Request[Any, Any, Any], card_id: FromPath[str]) -> Template | Redirect:
    """The first token is in the page itself, so the QR shows without another request. A card not
    declared yet has no code: the page leads to the declaration, which says why. Read like the code
    endpoint (one statement on the lean path, no dependencies); it records "last seen" at most
    every ten minutes, as every page does."""
    issuer = await code_issuer(request)
    try:
        page = await issuer.code_page(request.cookies.get(RESIDENT_COOKIE, ""), card_id)
    except Conflict as exc:
        if exc.code != "declaration_required":
            raise
        return Redirect(f"/cards/{card_id}/declare", status_code=303)
    if page.session_to_touch is not None:
        async with app_context(request).sessionmaker() as db:
            await SessionStore(db, issuer.clock).touch(page.session_to_touch)
    return PageWithInlinedFiles(
        template_name="codes/code.html",
        context={"card": page.card, "code": page.code, "declared_at": page.card.declared_at},
    )


@get("/family/codes", name="family_codes")
async def family_codes(
    request: Request[Any, Any, Any], resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template:
    """显示家人: every issued family card's live code on the guardian's phone."""
    key = await KeyService(db, settings, clock, key_memory(request)).signing_key()
    views = await make_card_service(db, settings, clock).all_for(resident.id)
    codes, undeclared = [], []
    for view in views:
        family = view.relationship is not Relationship.SELF
        if family and view.status == "approved" and view.holder.status == LinkStatus.ACTIVE:
            card = view.card
            if card.colour is None:
                undeclared.append(view)
                continue
            codes.append(
                (view, code_for(settings, clock, key, card.id, card.colour, card.masked_name, card.masked_document))
            )
    return Template(
        template_name="codes/family.html",
        context={"codes": codes, "undeclared": undeclared, "now": clock.now()},
    )


router = Router(path="/", route_handlers=[code_page, family_codes], include_in_schema=False)
