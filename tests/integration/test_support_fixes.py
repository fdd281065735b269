"""Fixing the cause from a ticket (SPEC §10; FAQ 6, 8, 9, 18): each fix goes through the cards'
services, is audited, keeps its detail sealed, writes a reply on the ticket, and refuses clearly,
changing nothing, when it does not apply."""

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.accounts.deletion import AccountDeletion
from healthcode.cards.service import make_card_service
from healthcode.config import Settings
from healthcode.db.models import (
    Application,
    AuditRecord,
    Card,
    CardHolder,
    SmsOutboxMessage,
    Ticket,
    TicketFix,
    TicketReply,
)
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from healthcode.privacy.retention import Purge
from healthcode.privacy.sealed import Sealer
from healthcode.reviews.service import ReviewService
from healthcode.sessions.service import Principal
from healthcode.support.desk.fixes import FixDesk
from healthcode.support.service import SupportService
from tests import factories
from tests.integration.test_support import ADULT, citizen_number

OLD_PHONE, NEW_PHONE = "13800138000", "13900139000"
OTHER = citizen_number("15010219850101456")


@pytest.fixture
async def agent(db: AsyncSession, settings: Settings, clock: FixedClock) -> Principal:
    account = await factories.staff(db, settings, clock, roles=("support",), username="agent")
    return factories.staff_principal(account)


@pytest.fixture
def desk(db: AsyncSession, settings: Settings, clock: FixedClock) -> FixDesk:
    return FixDesk(db, settings, clock)


async def phone_taken_ticket(
    db: AsyncSession, settings: Settings, clock: FixedClock, *, photo: bool = True, number: str = ADULT
) -> int:
    """The resident on the new phone says their card is on the old one, with a photo of the document."""
    resident = await factories.resident(db, clock, NEW_PHONE)
    ticket = await SupportService(db, settings, clock).file(
        resident.id,
        "phone_taken",
        "我换了手机，旧手机号已经停用",
        name="张三丰",
        document_type="resident_id",
        document_number=number,
        screenshot=factories.photo_bytes() if photo else None,
    )
    return ticket.id


async def card_ticket(db: AsyncSession, settings: Settings, clock: FixedClock, resident_id: int, card: str) -> int:
    """A ticket filed from one of the resident's cards (the card page's "ask support")."""
    ticket = await SupportService(db, settings, clock).file(
        resident_id, "realname_failed", "审核不通过", card_public_id=card
    )
    return ticket.id


async def snapshot(db: AsyncSession) -> tuple[object, ...]:
    """What a refused fix must leave as it was."""
    holders = (await db.execute(select(CardHolder.id, CardHolder.status).order_by(CardHolder.id))).all()
    applications = (await db.execute(select(Application.id, Application.state).order_by(Application.id))).all()
    counts = [
        await db.scalar(select(func.count()).select_from(model))
        for model in (AuditRecord, TicketReply, TicketFix, SmsOutboxMessage)
    ]
    return tuple(holders), tuple(applications), tuple(counts)


async def actions(db: AsyncSession, ticket: int) -> list[str]:
    rows = await db.scalars(select(AuditRecord).where(AuditRecord.action.like("support.%")).order_by(AuditRecord.seq))
    return [r.action for r in rows if r.subject == f"ticket:{ticket}" or json.loads(r.detail).get("ticket") == ticket]


async def texts_to(db: AsyncSession, phone: str) -> list[str]:
    return list(await db.scalars(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == phone)))


@pytest.mark.settings(realname_delay_s=0)
async def test_rebinding_moves_the_card_to_the_new_phone_after_document_proof(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old = await factories.resident(db, clock, OLD_PHONE)
    owned = await factories.card_application(
        db, settings, clock, old.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    assert owned.status == "approved"
    ticket = await phone_taken_ticket(db, settings, clock)
    new = await factories.resident(db, clock, NEW_PHONE)

    application = await desk.rebind(agent, ticket, confirmed=True)

    assert (application.state, application.kind, application.decided_by) == ("approved", "rebind", "staff:1")
    cards = make_card_service(db, settings, clock)
    assert [v.card.public_id for v in await cards.all_for(new.id)] == [owned.card.public_id]
    assert (await cards.all_for(new.id))[0].status == "approved"
    assert await cards.all_for(old.id) == []
    assert any("本机不再显示" in text for text in await texts_to(db, OLD_PHONE))  # the region's language
    assert any("已通过审核" in text for text in await texts_to(db, NEW_PHONE))
    detail, case = await desk.open_case(agent, ticket)
    assert "张*丰" in detail.replies[-1].text
    assert detail.entry.status.value == "in_progress"
    assert [(h.relationship.value, h.status.value, h.is_ticket_resident) for h in case.holders] == [
        ("self", "active", True)
    ]
    assert await actions(db, ticket) == ["support.rebind", "support.open"]
    fix = await db.scalar(select(TicketFix))
    assert fix is not None
    assert fix.action == "rebind"
    assert json.loads(Sealer(settings.keyring).open_text(fix, "detail_enc"))["application"] == application.id

    before = await snapshot(db)
    with pytest.raises(Conflict) as again:
        await desk.rebind(agent, ticket, confirmed=True)
    assert again.value.code == "support_rebind_nothing_to_do"
    assert await snapshot(db) == before


@pytest.mark.settings(realname_delay_s=0)
async def test_rebinding_needs_the_photo_and_the_agents_comparison(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old = await factories.resident(db, clock, OLD_PHONE)
    await factories.card_application(
        db, settings, clock, old.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    without_photo = await phone_taken_ticket(db, settings, clock, photo=False)
    with_photo = await phone_taken_ticket(db, settings, clock)
    no_card = await phone_taken_ticket(db, settings, clock, number=OTHER)
    before = await snapshot(db)

    with pytest.raises(Conflict) as missing:
        await desk.rebind(agent, without_photo, confirmed=True)
    assert missing.value.code == "support_proof_missing"
    with pytest.raises(InvalidInput) as unconfirmed:
        await desk.rebind(agent, with_photo, confirmed=False)
    assert (unconfirmed.value.code, unconfirmed.value.field) == ("support_proof_not_confirmed", "confirmed")
    with pytest.raises(Conflict) as nothing:
        await desk.rebind(agent, no_card, confirmed=True)
    assert nothing.value.code == "support_no_card"
    assert await snapshot(db) == before


async def test_rebinding_a_card_not_issued_is_refused(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old = await factories.resident(db, clock, OLD_PHONE)
    await factories.card_application(
        db, settings, clock, old.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    ticket = await phone_taken_ticket(db, settings, clock)  # the old phone's application still pending
    before = await snapshot(db)
    with pytest.raises(Conflict) as refused:
        await desk.rebind(agent, ticket, confirmed=True)
    assert refused.value.code == "support_card_not_issued"
    assert await snapshot(db) == before


async def test_a_waiting_application_is_checked_again_now(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    assert view.status == "pending"  # the provider's delay has not passed
    ticket = await card_ticket(db, settings, clock, resident.id, view.card.public_id)

    assert await desk.recheck(agent, ticket) == "approved"

    card = await db.get_one(Card, view.card.id)
    assert card.status == "approved"
    assert await actions(db, ticket) == ["support.recheck"]
    detail, _ = await desk.open_case(agent, ticket)
    assert "张*丰" in detail.replies[-1].text
    before = await snapshot(db)
    with pytest.raises(Conflict) as decided:
        await desk.recheck(agent, ticket)
    assert decided.value.code == "support_application_decided"
    with pytest.raises(Conflict):
        await desk.send_to_review(agent, ticket)
    assert await snapshot(db) == before


async def test_a_waiting_application_goes_to_the_reviewers_once(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    ticket = await card_ticket(db, settings, clock, resident.id, view.card.public_id)

    application = await desk.send_to_review(agent, ticket)

    assert application.state == "review"
    reviewer = factories.staff_principal(await factories.staff(db, settings, clock))
    assert [e.application_id for e in await ReviewService(db, settings, clock).queue(reviewer)] == [application.id]
    before = await snapshot(db)
    with pytest.raises(Conflict) as again:
        await desk.send_to_review(agent, ticket)
    assert again.value.code == "support_already_in_review"
    with pytest.raises(Conflict):
        await desk.recheck(agent, ticket)
    assert await snapshot(db) == before


@pytest.mark.settings(realname_delay_s=0)
async def test_a_refused_application_is_checked_again_and_its_link_waits_again(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(db, settings, clock, resident.id)  # a passport: reviewers
    reviewer = factories.staff_principal(await factories.staff(db, settings, clock))
    assert view.application is not None
    await ReviewService(db, settings, clock).decide(reviewer, view.application.id, False, "photo_unreadable")
    ticket = await card_ticket(db, settings, clock, resident.id, view.card.public_id)

    assert await desk.recheck(agent, ticket) == "review"  # the provider leaves passports to reviewers

    holder = await db.get_one(CardHolder, view.holder.id)
    await db.refresh(holder)
    assert holder.status == "pending"
    application = await db.get_one(Application, view.application.id)
    assert application.reason is None


async def test_a_mistyped_name_is_corrected_on_a_pending_application_only(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(
        db, settings, clock, resident.id, name="张三风", document_type="resident_id", number=ADULT
    )
    ticket = await card_ticket(db, settings, clock, resident.id, view.card.public_id)
    before = await snapshot(db)
    for name, code in (("张三风", "support_name_unchanged"), ("", "name_required")):
        with pytest.raises(DomainError) as refused:
            await desk.correct_name(agent, ticket, name)
        assert refused.value.code == code
    assert await snapshot(db) == before

    application = await desk.correct_name(agent, ticket, " 张三丰 ")

    sealer = Sealer(settings.keyring)
    assert sealer.open_text(application, "name_enc") == "张三丰"
    card = await db.get_one(Card, view.card.id)
    assert card.masked_name == "张*丰"
    fix = await db.scalar(select(TicketFix).where(TicketFix.action == "name_correct"))
    assert fix is not None
    assert json.loads(sealer.open_text(fix, "detail_enc"))["old_name"] == "张三风"
    assert "张三".encode() not in fix.detail_enc
    audited = await db.scalar(select(AuditRecord).where(AuditRecord.action == "support.name_correct"))
    assert audited is not None
    assert "张三" not in audited.detail, "the names stay sealed in the fix, out of the audit chain"
    assert json.loads(audited.detail)["fix"] == fix.id

    assert await desk.recheck(agent, ticket) == "approved"
    with pytest.raises(Conflict) as issued:
        await desk.correct_name(agent, ticket, "张三峰")
    assert issued.value.code == "name_not_correctable"


@pytest.mark.settings(realname_delay_s=0)
async def test_an_unwanted_link_ends_and_only_that_one(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    own = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    family = await factories.card_application(
        db, settings, clock, resident.id, name="李四", document_type="resident_id", number=OTHER, relationship="child"
    )
    ticket = await card_ticket(db, settings, clock, resident.id, own.card.public_id)
    _, case = await desk.open_case(agent, ticket)
    assert [link.public_id for link in case.links] == [own.card.public_id, family.card.public_id]

    await desk.end_link(agent, ticket, family.card.public_id)

    _, case = await desk.open_case(agent, ticket)
    assert [link.public_id for link in case.links] == [own.card.public_id]
    assert "support.end_link" in await actions(db, ticket)
    assert (await db.get_one(Ticket, ticket)).status == "in_progress"
    before = await snapshot(db)
    with pytest.raises(NotFound) as gone:
        await desk.end_link(agent, ticket, family.card.public_id)
    assert gone.value.code == "support_link_not_found"
    assert await snapshot(db) == before


async def test_fixes_need_the_support_role(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(db, settings, clock, resident.id, document_type="resident_id", number=ADULT)
    ticket = await card_ticket(db, settings, clock, resident.id, view.card.public_id)
    reviewer = factories.staff_principal(await factories.staff(db, settings, clock))
    with pytest.raises(DomainError) as refused:
        await FixDesk(db, settings, clock).recheck(reviewer, ticket)
    assert refused.value.kind.name == "FORBIDDEN"


@pytest.mark.settings(realname_delay_s=0)
async def test_the_fixes_go_with_their_ticket(
    desk: FixDesk, agent: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """A ticket's fixes (with the names they hold) go when the ticket goes: by age, or with the
    resident's account."""
    resident = await factories.resident(db, clock, NEW_PHONE)
    own = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    old = await card_ticket(db, settings, clock, resident.id, own.card.public_id)
    await desk.end_link(agent, old, own.card.public_id)
    clock.advance(seconds=(settings.retention_tickets_days + 1) * 86400)
    assert (await Purge(db, settings, clock).run())["tickets"] >= 2
    assert await db.scalar(select(func.count()).select_from(TicketFix)) == 0

    again = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    recent = await card_ticket(db, settings, clock, resident.id, again.card.public_id)
    await desk.end_link(agent, recent, again.card.public_id)
    await AccountDeletion(db, settings, clock).delete(resident.id)
    assert await db.scalar(select(func.count()).select_from(TicketFix)) == 0
    assert await db.scalar(select(func.count()).select_from(Ticket)) == 0
