"""Applying for cards (SPEC §3, §6) through the service, on a real database."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.cards.service import CardService, make_card_service
from healthcode.cards.verification import make_verifier
from healthcode.config import Settings
from healthcode.db.models import Card, Resident, SmsOutboxMessage
from healthcode.domain.cards import Outcome, Verdict
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Conflict, InvalidInput, NotFound, UnsupportedMedia
from healthcode.privacy.sealed import Sealer


def citizen_number(body: str) -> str:
    """A well-formed resident ID number (no real person's) from its first 17 digits."""
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


ADULT = citizen_number("15010219900307123")
CHILD = citizen_number("15010220200501002")
OTHER = citizen_number("15010419751111034")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 180, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


async def resident(db: AsyncSession, clock: FixedClock, phone: str) -> int:
    row = Resident(phone=phone, created_at=clock.now())
    db.add(row)
    await db.commit()
    return row.id


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> CardService:
    return make_card_service(db, settings, clock)


async def apply_with_photos(
    service: CardService, who: int, name: str, doc_type: str, number: str, relationship: str = "self"
) -> str:
    view = await service.apply(who, name, doc_type, number, relationship)
    for side in view.document_type.photo_sides:
        await service.add_photo(who, view.card.public_id, side, jpeg())
    return view.card.public_id


@pytest.mark.settings(realname_delay_s=0)
async def test_apply_with_resident_id_and_both_photos(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    me = await resident(db, clock, "13800138000")
    view = await service.apply(me, "张三丰", "resident_id", ADULT.lower().replace("x", "x"), "self")
    assert view.status == "pending"
    assert view.missing_photos == ["front", "back"]
    assert len(view.card.card_id) == 64, "the national card ID is kept"
    assert re.fullmatch(r"[0-9a-f]{32}", view.card.public_id)
    assert view.card.masked_name == "张*丰"
    assert view.card.masked_document == ADULT[:4] + "*" * 10 + ADULT[-4:]

    view = await service.add_photo(me, view.card.public_id, "front", jpeg())
    assert view.missing_photos == ["back"]
    view = await service.add_photo(me, view.card.public_id, "back", jpeg())
    assert view.status == "approved"
    text = await db.scalar(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == "13800138000"))
    assert text is not None
    assert "张*丰" in text


@pytest.mark.settings(realname_delay_s=30, realname_seconds_per_application=2)
async def test_pending_shows_queue_place_and_wait_then_the_job_decides(
    service: CardService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    first = await resident(db, clock, "13800138000")
    second = await resident(db, clock, "13900139000")
    await apply_with_photos(service, first, "张三", "resident_id", ADULT)
    clock.advance(seconds=1)
    card = await apply_with_photos(service, second, "李四", "resident_id", OTHER)
    view = await service.get(second, card)
    assert (view.status, view.application.state if view.application else None) == ("pending", "pending")
    assert view.queue_position == 1
    assert view.wait_s == 30 + 2

    clock.advance(seconds=31)
    assert await make_verifier(db, settings, clock).run_due() == 2
    db.expire_all()
    assert (await service.get(second, card)).status == "approved"


@pytest.mark.settings(realname_delay_s=0)
async def test_one_person_one_card_a_guardian_joins_the_existing_card(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    owner = await resident(db, clock, "13800138000")
    parent = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, owner, "张三", "resident_id", ADULT)
    joined = await apply_with_photos(service, parent, "张三", "household_register", ADULT, "child")
    assert joined == card
    assert await db.scalar(select(func.count()).select_from(Card)) == 1
    views = await service.all_for(parent)
    assert [(v.card.public_id, v.status, v.relationship.value) for v in views] == [(card, "approved", "child")]


@pytest.mark.settings(realname_delay_s=0)
async def test_a_wrong_name_cannot_join_a_card(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    owner = await resident(db, clock, "13800138000")
    stranger = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, owner, "张三", "resident_id", ADULT)
    await apply_with_photos(service, stranger, "王五", "resident_id", ADULT, "sibling")
    view = await service.get(stranger, card)
    assert view.status == "rejected"
    assert view.application is not None
    assert view.application.reason == "name_mismatch"


@pytest.mark.settings(realname_delay_s=0)
async def test_family_member_claims_the_card_on_their_own_phone(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    parent = await resident(db, clock, "13800138000")
    child = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, parent, "张小明", "birth_certificate", "o150123456", "child")
    assert (await service.get(parent, card)).status == "approved"
    # the grown-up child proves the same document on their own phone (二次申领)
    claimed = await apply_with_photos(service, child, "张小明", "birth_certificate", "O150123456")
    assert claimed == card
    assert (await service.get(child, card)).relationship.value == "self"
    assert (await service.get(parent, card)).status == "approved", "the guardian link stays"
    assert [g.resident_id for g in await service.guardians(child, card)] == [parent]


async def test_card_identifiers_in_urls_say_nothing_of_the_person(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    """Two people of one county and birth date: their national card IDs (SM4-ECB) share the first
    half; the identifiers of URLs, pages and the API share nothing and never show the national ID."""
    twins = [citizen_number("15010219900307" + tail) for tail in ("123", "145")]
    views = [
        await service.apply(await resident(db, clock, phone), "张三丰", "resident_id", number, "self")
        for phone, number in zip(("13800138000", "13900139000"), twins, strict=True)
    ]
    national = [view.card.card_id for view in views]
    opaque = [view.card.public_id for view in views]
    assert national[0][:32] == national[1][:32], "what the national ID leaks"
    assert opaque[0][:8] != opaque[1][:8]
    assert not set(opaque) & set(national)
    assert all(public_id not in card_id for public_id in opaque for card_id in national)


@pytest.mark.settings(realname_delay_s=0)
async def test_only_the_verified_owner_takes_the_card_off_a_guardians_phone(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    parent = await resident(db, clock, "13800138000")
    claimant = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, parent, "张小明", "birth_certificate", "o150123456", "child")
    [guardian_link] = [v.holder for v in await service.all_for(parent)]
    texts = select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == "13800138000")
    before = list(await db.scalars(texts))
    # a phone that has only typed the name and number (no photos, nothing checked) proves nothing
    await service.apply(claimant, "张小明", "birth_certificate", "O150123456", "self")
    assert (await service.get(claimant, card)).status == "pending"
    assert await service.guardians(claimant, card) == []
    with pytest.raises(NotFound) as refused:
        await service.remove_guardian(claimant, card, guardian_link.id)
    assert refused.value.code == "guardian_not_found"
    assert (await service.get(parent, card)).status == "approved", "the guardian still shows the card"
    assert list(await db.scalars(texts)) == before

    # once verified, the owner may end the link, and the guardian's phone is told
    await service.add_photo(claimant, card, "page", jpeg())
    assert (await service.get(claimant, card)).status == "approved"
    await service.remove_guardian(claimant, card, guardian_link.id)
    with pytest.raises(NotFound):
        await service.get(parent, card)
    [text] = list(await db.scalars(texts))[len(before) :]
    assert text == "【健康码】张*明已将其电子健康卡从您的手机上移除，您的手机将不再显示其健康码。"


@pytest.mark.settings(realname_delay_s=0)
async def test_a_card_on_another_phone_is_rebound_only_after_review(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    old_phone = await resident(db, clock, "13800138000")
    new_phone = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, old_phone, "张三", "resident_id", ADULT)
    await apply_with_photos(service, new_phone, "张三", "resident_id", ADULT)
    view = await service.get(new_phone, card)
    assert view.application is not None
    assert (view.status, view.application.kind, view.application.state) == ("pending", "rebind", "review")
    assert (await service.get(old_phone, card)).status == "approved", "nothing moves before a reviewer decides"


@pytest.mark.settings(realname_delay_s=0)
async def test_this_card_is_not_me(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    me = await resident(db, clock, "13800138000")
    parent = await resident(db, clock, "13900139000")
    wrong = await apply_with_photos(service, me, "张三", "resident_id", ADULT)
    await apply_with_photos(service, parent, "张三", "resident_id", ADULT, "child")
    await service.end_link(me, wrong)
    with pytest.raises(NotFound):
        await service.get(me, wrong)
    assert (await service.get(parent, wrong)).status == "approved", "other links are untouched"
    mine = await apply_with_photos(service, me, "李四", "resident_id", OTHER)
    assert [v.card.public_id for v in await service.all_for(me)] == [mine]


@pytest.mark.settings(family_max_dependants=2, family_max_guardians=1, realname_delay_s=0)
async def test_family_limits(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    guardian = await resident(db, clock, "13800138000")
    other = await resident(db, clock, "13900139000")
    await service.apply(guardian, "张一", "resident_id", ADULT, "child")
    await service.apply(guardian, "张二", "resident_id", CHILD, "sibling")
    with pytest.raises(Conflict) as caught:
        await service.apply(guardian, "张三", "resident_id", OTHER, "parent")
    assert (caught.value.code, caught.value.params["limit"]) == ("family_too_many_dependants", 2)
    with pytest.raises(Conflict) as caught:
        await service.apply(other, "张一", "resident_id", ADULT, "spouse")
    assert (caught.value.code, caught.value.params["limit"]) == ("family_too_many_guardians", 1)


@pytest.mark.settings(realname_delay_s=60)
async def test_a_document_being_checked_cannot_be_claimed_by_a_second_phone(
    service: CardService, db: AsyncSession, clock: FixedClock
) -> None:
    first = await resident(db, clock, "13800138000")
    second = await resident(db, clock, "13900139000")
    await apply_with_photos(service, first, "张三", "resident_id", ADULT)
    with pytest.raises(Conflict) as caught:
        await service.apply(second, "张三", "resident_id", ADULT, "self")
    assert caught.value.code == "card_application_pending"


@pytest.mark.settings(realname_delay_s=0)
async def test_only_one_own_card_per_phone(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    me = await resident(db, clock, "13800138000")
    await apply_with_photos(service, me, "张三", "resident_id", ADULT)
    with pytest.raises(Conflict) as caught:
        await service.apply(me, "李四", "resident_id", OTHER, "self")
    assert caught.value.code == "self_card_exists"
    with pytest.raises(Conflict) as caught:
        await service.apply(me, "张三", "resident_id", ADULT, "spouse")
    assert caught.value.code == "card_already_held"


@pytest.mark.parametrize(
    ("name", "doc_type", "number", "relationship", "code"),
    [
        ("", "resident_id", ADULT, "self", "name_required"),
        ("张三", "driving_licence", ADULT, "self", "document_type_unknown"),
        ("张三", "resident_id", ADULT[:-1], "self", "document_length"),
        ("张三", "resident_id", ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"), "self", "document_checksum"),
        ("张三", "resident_id", ADULT, "cousin", "relationship_unknown"),
    ],
)
async def test_bad_applications_change_nothing(
    service: CardService,
    db: AsyncSession,
    clock: FixedClock,
    name: str,
    doc_type: str,
    number: str,
    relationship: str,
    code: str,
) -> None:
    me = await resident(db, clock, "13800138000")
    with pytest.raises(InvalidInput) as caught:
        await service.apply(me, name, doc_type, number, relationship)
    assert caught.value.code == code
    assert await db.scalar(select(func.count()).select_from(Card)) == 0


async def test_photos_are_checked(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    me = await resident(db, clock, "13800138000")
    view = await service.apply(me, "张三", "resident_id", ADULT, "self")
    with pytest.raises(InvalidInput) as caught:
        await service.add_photo(me, view.card.public_id, "page", jpeg())
    assert caught.value.code == "photo_side_unknown"
    with pytest.raises(UnsupportedMedia) as media:
        await service.add_photo(me, view.card.public_id, "front", b"%PDF-1.4 not a photo")
    assert media.value.code == "photo_type"
    assert (await service.get(me, view.card.public_id)).missing_photos == ["front", "back"]


async def test_someone_elses_card_is_not_found(service: CardService, db: AsyncSession, clock: FixedClock) -> None:
    me = await resident(db, clock, "13800138000")
    stranger = await resident(db, clock, "13900139000")
    view = await service.apply(me, "张三", "resident_id", ADULT, "self")
    with pytest.raises(NotFound):
        await service.get(stranger, view.card.public_id)
    with pytest.raises(NotFound):
        await service.add_photo(stranger, view.card.public_id, "front", jpeg())


@pytest.mark.settings(realname_delay_s=0)
async def test_the_first_approved_application_names_the_card(
    service: CardService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """A guardian's mistyped name on a card that was never approved does not stick."""
    guardian = await resident(db, clock, "13800138000")
    owner = await resident(db, clock, "13900139000")
    card = await apply_with_photos(service, guardian, "张山", "passport", "E12345678", "child")
    verifier = make_verifier(db, settings, clock)
    first = (await service.get(guardian, card)).application
    assert first is not None
    assert first.state == "review"  # passports go to reviewers
    await verifier.conclude(first, Verdict(Outcome.REJECTED, "name_mismatch"), decided_by="staff:1")
    await db.commit()

    await apply_with_photos(service, owner, "张三", "passport", "E12345678")
    second = (await service.get(owner, card)).application
    assert second is not None
    await verifier.conclude(second, Verdict(Outcome.APPROVED), decided_by="staff:1")
    await db.commit()
    view = await service.get(owner, card)
    assert (view.status, view.card.masked_name) == ("approved", "张*")
    assert Sealer(settings.keyring).open_text(view.card, "name_enc") == "张三"
