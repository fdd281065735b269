"""A resident deletes their account (SPEC §12): ``DELETE /api/v1/me`` and the page that asks first.
Sessions and links end at once, the account's data goes, a card's data goes once no other phone
holds it, a card held by others stays, and an unverified phone can never erase a card."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.cards.service import card_by_document, make_card_service
from healthcode.config import Settings
from healthcode.db.models import (
    Application,
    AuditRecord,
    Card,
    CardHolder,
    Declaration,
    Resident,
    SmsOutboxMessage,
    Ticket,
)
from healthcode.domain.clock import FixedClock
from healthcode.support.service import SupportService
from healthcode.walkins.service import make_walk_in_service
from tests import factories

pytestmark = pytest.mark.settings(realname_delay_s=0)

Client = AsyncTestClient[Litestar]


def citizen(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


MINE, FAMILY, WALK_IN = citizen("15010219900307123"), citizen("15010219600101002"), citizen("15010219380512004")


async def count(db: AsyncSession, model: type, *where: object) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def test_deleting_an_account_ends_it_and_erases_what_only_it_held(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me = await factories.logged_in_resident(db, settings, clock, phone="13800138000")
    relative = await factories.logged_in_resident(db, settings, clock, phone="13900139000")
    own = await factories.card_application(
        db, settings, clock, me.resident.id, document_type="resident_id", number=MINE
    )
    theirs = await factories.card_application(
        db, settings, clock, relative.resident.id, name="李四", document_type="resident_id", number=FAMILY
    )
    joined = await factories.card_application(
        db,
        settings,
        clock,
        me.resident.id,
        name="李四",
        document_type="resident_id",
        number=FAMILY,
        relationship="parent",
    )
    assert (own.status, joined.status) == ("approved", "approved")
    await SupportService(db, settings, clock).file(me.resident.id, "other", "请帮我看看")
    me_id, own_id, family_id = me.resident.id, own.card.id, theirs.card.id
    relative_id, family_card, own_name = relative.resident.id, theirs.card.public_id, own.card.masked_name

    client.cookies.set("hc_session", me.token)
    asked = await client.get("/account/delete")
    assert asked.status_code == 200
    assert 'id="erased"' in asked.text
    assert own_name in asked.text
    assert 'id="kept"' in asked.text
    token = await factories.csrf_token(client, "/account/delete")
    unticked = await client.post("/account/delete", data={"_csrf_token": token})
    assert unticked.status_code == 422
    assert 'id="understood-error"' in unticked.text
    assert await count(db, Resident, Resident.id == me_id) == 1, "nothing happens without the box ticked"

    client.cookies.clear()
    gone = await client.delete("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"})
    assert gone.status_code == 204
    after = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {me.token}"})
    assert after.status_code == 401, "the token stops working at once"

    db.expire_all()
    assert await count(db, Resident, Resident.id == me_id) == 0
    assert await count(db, Ticket, Ticket.resident_id == me_id) == 0
    assert await count(db, CardHolder, CardHolder.resident_id == me_id) == 0
    assert await count(db, SmsOutboxMessage, SmsOutboxMessage.phone == "13800138000") == 0
    erased = await db.get_one(Card, own_id)
    assert (erased.status, erased.colour, erased.masked_name, erased.document_enc) == ("deleted", None, "—", b"")
    assert await count(db, Declaration, Declaration.card_id == own_id) == 0
    assert await count(db, Application, Application.card_id == own_id) == 0
    _, found = await card_by_document(db, settings, clock, "resident_id", MINE)
    assert found is None, "the document no longer finds the erased card"
    kept = await make_card_service(db, settings, clock).get(relative_id, family_card)
    assert (kept.status, kept.card.colour) == ("approved", "green"), "the relative's card stays on their phone"
    assert await count(db, Declaration, Declaration.card_id == family_id) >= 1
    [entry] = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "account.delete")))
    assert entry.subject == f"resident:{me_id}"
    assert "13800138000" not in entry.detail
    assert MINE not in entry.detail

    # The same person can come back and apply anew: a new card, not the emptied one.
    back = await factories.resident(db, clock, phone="13800138000")
    again = await factories.card_application(db, settings, clock, back.id, document_type="resident_id", number=MINE)
    assert again.status == "approved"
    assert again.card.id != own_id


async def test_an_unverified_claim_never_erases_a_card(
    db: AsyncSession, settings: Settings, clock: FixedClock, client: Client
) -> None:
    """A phone that typed a walk-in's number for 二次申领 (no photos yet) deletes its account:
    only its own link and attempt go; the walk-in's card is untouched."""
    clerk = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk")
    walk_ins = make_walk_in_service(db, settings, clock)
    card = await walk_ins.register(factories.staff_principal(clerk), "王老汉", "resident_id", WALK_IN)
    for side in ("front", "back"):
        await walk_ins.add_photos(factories.staff_principal(clerk), card.public_id, {side: factories.photo_bytes()})
    card_id = card.id
    stranger = await factories.logged_in_resident(db, settings, clock, phone="13700137000")
    claim = await factories.card_application(
        db,
        settings,
        clock,
        stranger.resident.id,
        name="王老汉",
        document_type="resident_id",
        number=WALK_IN,
        photos=False,
    )
    assert claim.status == "pending"

    deleted = await client.delete("/api/v1/me", headers={"Authorization": f"Bearer {stranger.token}"})
    assert deleted.status_code == 204
    db.expire_all()
    untouched = await db.get_one(Card, card_id)
    assert (untouched.status, untouched.masked_name) == ("approved", "王*汉")
    assert await count(db, Application, Application.card_id == card_id) == 1, "the desk's registration stays"
