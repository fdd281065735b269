"""Declaring (SPEC §4) and the colour it gives (§5), through the services on a real database."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.service import document_index
from healthcode.colours.service import make_colour_service
from healthcode.config import Settings
from healthcode.db.models import Card, ListEntry, ListImport, RiskAreaRecord, SmsOutboxMessage
from healthcode.declarations.service import DeclarationService, answers_from, make_declaration_service
from healthcode.domain.clock import FixedClock
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict, InvalidInput
from tests.factories import card_application, resident
from tests.integration.test_cards import ADULT

PHONE = "13800138000"
HEALTHY = {"temperature": 36.5, "address_region": "150105", "address_detail": "大学东街1号", "pledge": True}


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> DeclarationService:
    return make_declaration_service(db, settings, clock)


async def issued_card(db: AsyncSession, settings: Settings, clock: FixedClock) -> tuple[int, str]:
    me = (await resident(db, clock, PHONE)).id
    view = await card_application(
        db, settings, clock, me, name="张三", document_type="resident_id", number=ADULT, declared=False
    )
    assert view.status == "approved"
    return me, view.card.public_id


async def put_on_list(db: AsyncSession, settings: Settings, clock: FixedClock, kind: str, since: date) -> None:
    upload = ListImport(kind="cases", filename="t.csv", uploaded_by="staff:1", created_at=clock.now(), status="done")
    db.add(upload)
    await db.flush()
    index = document_index(settings, DocumentType.RESIDENT_ID, ADULT)
    db.add(ListEntry(document_index=index, kind=kind, since=since, until=None, import_id=upload.id))
    card_id = await db.scalar(select(Card.id).where(Card.document_index == index))
    assert card_id is not None
    await make_colour_service(db, settings, clock).recompute([card_id])
    await db.commit()


@pytest.mark.settings(realname_delay_s=0)
async def test_fever_turns_yellow_and_a_correction_turns_green(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me, card = await issued_card(db, settings, clock)
    texts = select(SmsOutboxMessage.text).order_by(SmsOutboxMessage.id)
    first = await service.declare(me, card, answers_from(HEALTHY))
    assert first.card.colour == "green"
    before = list(await db.scalars(texts))
    assert not any("绿码" in text for text in before), "the first colour is on the page, not in a text"

    clock.advance(hours=1)
    done = await service.declare(me, card, answers_from({**HEALTHY, "temperature": 38.2, "symptoms": ["fever"]}))
    assert done.card.colour == "yellow"
    assert [r["rule"] for r in done.reasons] == ["declared.symptoms", "declared.temperature"]
    assert all(r["text"]["zh_CN"] and r["text"]["en"] for r in done.reasons)
    [sms] = list(await db.scalars(texts))[len(before) :]
    assert "黄码" in sms

    clock.advance(hours=1)
    corrected = await service.declare(me, card, answers_from(HEALTHY))
    assert (corrected.card.colour, corrected.reasons, corrected.declaration.version) == ("green", [], 3)
    assert [d.version for d in await service.history(me, card)] == [3, 2, 1]


@pytest.mark.settings(realname_delay_s=0)
async def test_preview_says_what_would_happen_and_keeps_nothing(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me, card = await issued_card(db, settings, clock)
    decision = await service.preview(me, card, answers_from({**HEALTHY, "contact_with_case": True}))
    assert decision.colour.value == "red"
    assert await service.history(me, card) == []
    assert (await db.scalar(select(Card.colour))) is None, "no colour before the first declaration"


@pytest.mark.settings(realname_delay_s=0)
async def test_a_declaration_never_clears_an_authority_list(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me, card = await issued_card(db, settings, clock)
    await put_on_list(db, settings, clock, "close_contact", clock.now().date())
    db.expire_all()
    assert (await db.scalar(select(Card.colour))) is None, "no colour before the first declaration, even listed"
    done = await service.declare(me, card, answers_from(HEALTHY))
    assert done.card.colour == "red"
    assert [r["source"] for r in done.reasons] == ["list"]


@pytest.mark.settings(realname_delay_s=0)
async def test_travel_from_a_medium_risk_area_is_yellow_for_seven_days_then_green_by_itself(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me, card = await issued_card(db, settings, clock)
    upload = ListImport(kind="areas", filename="a.csv", uploaded_by="staff:1", created_at=clock.now(), status="done")
    db.add(upload)
    await db.flush()
    db.add(
        RiskAreaRecord(
            region_code="420100",
            level="medium",
            effective_from=clock.now().date() - timedelta(days=5),
            effective_to=None,
            import_id=upload.id,
        )
    )
    await db.commit()
    done = await service.declare(me, card, answers_from({**HEALTHY, "travel_regions": ["420102"]}))
    assert done.card.colour == "yellow"
    assert done.card.green_on is not None
    assert done.card.recheck_at is not None
    clock.advance(days=6)
    assert await make_colour_service(db, settings, clock).recheck_due() == 0
    clock.advance(days=2)
    assert await make_colour_service(db, settings, clock).recheck_due() == 1
    db.expire_all()
    assert (await db.scalar(select(Card.colour))) == "green"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"temperature": 50}, "temperature_out_of_range", "temperature"),
        ({"symptoms": ["headache"]}, "symptom_unknown", "symptoms"),
        ({"travel_regions": ["999999"]}, "region_unknown", "travel_regions"),
        ({"case_status": "cured"}, "case_status_unknown", "case_status"),
        ({"address_region": ""}, "address_region_unknown", "address_region"),
        ({"address_detail": "  "}, "address_required", "address_detail"),
        ({"pledge": False}, "pledge_required", "pledge"),
    ],
)
def test_bad_answers_are_refused_with_their_field(change: dict[str, object], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        answers_from({**HEALTHY, **change})
    assert (caught.value.code, caught.value.field) == (code, field)


@pytest.mark.settings(realname_delay_s=60)
async def test_no_declaration_before_the_card_is_issued(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me = (await resident(db, clock, PHONE)).id
    view = await card_application(
        db, settings, clock, me, name="张三", document_type="resident_id", number=ADULT, declared=False
    )
    with pytest.raises(Conflict) as caught:
        await service.declare(me, view.card.public_id, answers_from(HEALTHY))
    assert caught.value.code == "card_not_approved"


@pytest.mark.settings(realname_delay_s=0)
async def test_the_form_offers_again_only_the_address_this_phone_declared(
    service: DeclarationService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me, card = await issued_card(db, settings, clock)
    parent = (await resident(db, clock, "13900139000")).id
    await card_application(
        db, settings, clock, parent, name="张三", document_type="resident_id", number=ADULT, relationship="child"
    )
    mine = await service.issued_card(me, card)
    assert await service.last_address(mine) is None, "the parent's home address is not shown on my phone"
    await service.declare(me, card, answers_from(HEALTHY))
    assert await service.last_address(mine) == ("150105", "大学东街1号")
