"""Support tickets through the service (SPEC §10, FAQ 6/8/9): pre-filled with what failed,
encrypted like a card, and each resident sees only their own."""

import json

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.config import Settings
from healthcode.db.models import Ticket
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.privacy.sealed import Sealer
from healthcode.support.service import SupportService
from tests.factories import card_application, resident


def citizen_number(body: str) -> str:
    """A well-formed resident ID number (no real person's) from its first 17 digits."""
    return body + ric.calc_check_digit(body + "0")


ADULT = citizen_number("15010219900307123")
# A number whose check character is X, to see the lower-case x typed by residents stored upper-case.
WITH_X = next(n for n in (citizen_number(f"15010419851111{seq:03d}") for seq in range(1000)) if n.endswith("X"))
OWNER_PHONE, OTHER_PHONE = "13800138000", "13900139000"


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> SupportService:
    return SupportService(db, settings, clock)


async def count_tickets(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Ticket)) or 0)


async def everything_stored(db: AsyncSession) -> list[object]:
    metadata = MetaData()
    await (await db.connection()).run_sync(lambda sync: metadata.reflect(bind=sync))
    values: list[object] = []
    for table in metadata.sorted_tables:
        for row in (await db.execute(select(table))).all():
            values.extend(row)
    return values


def decrypt(settings: Settings, ticket: Ticket, column: str) -> str:
    blob = {"name": ticket.name_enc, "document": ticket.document_enc, "text": ticket.text_enc}[column]
    assert blob is not None
    return settings.keyring.decrypt_text(blob, context=f"ticket:{ticket.id}:{column}")


@pytest.mark.settings(realname_delay_s=0)
async def test_a_ticket_from_a_rejected_card_says_what_failed(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    owner = await resident(db, clock, OWNER_PHONE)
    stranger = await resident(db, clock, OTHER_PHONE)
    await card_application(db, settings, clock, owner.id, name="张三", document_type="resident_id", number=ADULT)
    view = await card_application(
        db, settings, clock, stranger.id, name="王五", document_type="resident_id", number=ADULT, relationship="sibling"
    )
    assert view.status == "rejected"

    ticket = await service.file(
        stranger.id, "realname_failed", "我是他哥哥，名字没有错", card_public_id=view.card.public_id
    )

    assert (ticket.category, ticket.status, ticket.document_type) == ("realname_failed", "open", "resident_id")
    assert json.loads(ticket.context) == {
        "phone": OTHER_PHONE,
        "card_id": view.card.public_id,
        "application_state": "rejected",
        "application_kind": "join",
        "rejection_reason": "name_mismatch",
        "error_code": None,
    }
    assert decrypt(settings, ticket, "document") == ADULT
    assert decrypt(settings, ticket, "name") == "王五", "the name the resident gave, not the card owner's"
    for value in await everything_stored(db):
        if isinstance(value, bytes):
            assert ADULT.encode() not in value
            assert "王五".encode() not in value
        elif isinstance(value, str):
            assert ADULT not in value
            assert "王五" not in value


@pytest.mark.settings(realname_delay_s=0)
async def test_a_ticket_about_a_card_on_another_phone_carries_the_pending_rebind(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old_phone = await resident(db, clock, OWNER_PHONE)
    new_phone = await resident(db, clock, OTHER_PHONE)
    await card_application(db, settings, clock, old_phone.id, name="张三", document_type="resident_id", number=ADULT)
    view = await card_application(
        db, settings, clock, new_phone.id, name="张三", document_type="resident_id", number=ADULT
    )

    ticket = await service.file(
        new_phone.id,
        "phone_taken",
        "旧手机丢了",
        card_public_id=view.card.public_id,
        error_code="card_application_pending",
        name="李四",  # ignored: the card says who this is about
    )

    context = json.loads(ticket.context)
    assert (context["application_state"], context["application_kind"], context["rejection_reason"]) == (
        "review",
        "rebind",
        None,
    )
    assert context["error_code"] == "card_application_pending"
    assert decrypt(settings, ticket, "name") == "张三"
    facts = await service.card_facts(new_phone.id, view.card.public_id)
    assert (facts.masked_name, facts.masked_document) == ("张*", ADULT[:4] + "*" * 10 + ADULT[-4:])


async def test_a_ticket_without_a_card_keeps_what_the_resident_typed(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me = await resident(db, clock, OWNER_PHONE)
    ticket = await service.file(
        me.id,
        "parameter_error",
        "提示参数校验不通过\r\n手机号是我本人的",
        name="欧阳 娜娜",
        document_type="resident_id",
        document_number=WITH_X.lower(),
        error_code="document_checksum",
    )
    assert decrypt(settings, ticket, "text") == "提示参数校验不通过\n手机号是我本人的"
    assert ticket.document_type == "resident_id"
    assert decrypt(settings, ticket, "name") == "欧阳娜娜"
    assert decrypt(settings, ticket, "document") == WITH_X
    assert json.loads(ticket.context) == {
        "phone": OWNER_PHONE,
        "card_id": None,
        "application_state": None,
        "application_kind": None,
        "rejection_reason": None,
        "error_code": "document_checksum",
    }


async def test_a_general_ticket_needs_no_document(service: SupportService, db: AsyncSession, clock: FixedClock) -> None:
    me = await resident(db, clock, OWNER_PHONE)
    ticket = await service.file(me.id, "family", "怎么删除已添加的家人？")
    assert (ticket.name_enc, ticket.document_enc, ticket.document_type) == (None, None, None)


async def test_a_ticket_about_refused_details_keeps_them_as_typed(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """FAQ 9: the app refuses a number (or a name with a rare character) that is right; the ticket
    about it must carry that very number, encrypted, not refuse it again."""
    me = await resident(db, clock, OWNER_PHONE)
    refused = ADULT[:-1] + ("1" if ADULT[-1] == "0" else "0")
    ticket = await service.file(
        me.id,
        "parameter_error",
        "身份证号就是这个，系统说校验位错误",
        name="张𠀀",
        document_type="resident_id",
        document_number=f" {refused.lower()} ",
        error_code="document_checksum",
    )
    sealer = Sealer(settings.keyring)
    assert sealer.open_text(ticket, "document_enc") == refused.lower()
    assert sealer.open_text(ticket, "name_enc") == "张𠀀"
    assert json.loads(ticket.context)["error_code"] == "document_checksum"
    refusal = service.refusal("张三", "resident_id", refused)
    assert refusal is not None
    assert refusal.code == "document_checksum"
    assert service.refusal("张三", "resident_id", ADULT) is None


@pytest.mark.parametrize(
    ("category", "fields", "code", "field"),
    [
        ("realname_failed", {"name": "", "document_type": "resident_id"}, "name_required", "name"),
        ("realname_failed", {"document_type": "", "document_number": ADULT}, "document_type_unknown", "document_type"),
        (
            "phone_taken",
            {"document_type": "resident_id", "document_number": ""},
            "document_required",
            "document_number",
        ),
        (
            "phone_taken",
            {"document_type": "resident_id", "document_number": ADULT[:-1]},
            "document_length",
            "document_number",
        ),
        (
            "realname_failed",
            {"document_type": "resident_id", "document_number": ADULT[:-1] + ("1" if ADULT[-1] == "0" else "0")},
            "document_checksum",
            "document_number",
        ),
        (
            "parameter_error",
            {"document_type": "resident_id", "document_number": " "},
            "document_required",
            "document_number",
        ),
        (
            "parameter_error",
            {"document_type": "resident_id", "document_number": "1" * 41},
            "document_length",
            "document_number",
        ),
        ("other", {"document_type": "passport", "document_number": "护照"}, "document_format", "document_number"),
        ("other", {"name": "Zhang3"}, "name_invalid", "name"),
        ("complaint", {}, "ticket_category_unknown", "category"),
        ("other", {"text": "  "}, "ticket_text_required", "text"),
        ("other", {"text": "长" * 2001}, "ticket_text_too_long", "text"),
        ("other", {"error_code": "DROP TABLE"}, "ticket_error_code_invalid", "error_code"),
    ],
)
async def test_bad_input_is_refused_with_its_code_and_nothing_is_stored(
    service: SupportService,
    db: AsyncSession,
    clock: FixedClock,
    category: str,
    fields: dict[str, str],
    code: str,
    field: str,
) -> None:
    me = await resident(db, clock, OWNER_PHONE)
    values = {"name": "张三", "document_type": "resident_id", "document_number": ADULT, "text": "帮帮我", **fields}
    with pytest.raises(InvalidInput) as caught:
        await service.file(
            me.id,
            category,
            values["text"],
            name=values["name"],
            document_type=values["document_type"],
            document_number=values["document_number"],
            error_code=fields.get("error_code"),
        )
    assert (caught.value.code, caught.value.field) == (code, field)
    assert await count_tickets(db) == 0


@pytest.mark.settings(realname_delay_s=0)
async def test_residents_see_only_their_own_tickets_newest_first(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    me = await resident(db, clock, OWNER_PHONE)
    other = await resident(db, clock, OTHER_PHONE)
    first = await service.file(me.id, "other", "第一个问题")
    clock.advance(minutes=5)
    theirs = await service.file(other.id, "other", "别人的问题")
    clock.advance(minutes=5)
    second = await service.file(me.id, "family", "第二个问题")

    assert [t.id for t in await service.mine(me.id)] == [second.id, first.id]
    assert [t.id for t in await service.mine(other.id)] == [theirs.id]


@pytest.mark.settings(realname_delay_s=0)
async def test_another_residents_card_cannot_be_copied_into_a_ticket(
    service: SupportService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    owner = await resident(db, clock, OWNER_PHONE)
    snooper = await resident(db, clock, OTHER_PHONE)
    view = await card_application(db, settings, clock, owner.id, name="张三", document_type="resident_id", number=ADULT)
    with pytest.raises(NotFound) as caught:
        await service.file(snooper.id, "realname_failed", "这是我的卡", card_public_id=view.card.public_id)
    assert (caught.value.code, caught.value.field) == ("card_not_found", "card_id")
    assert await count_tickets(db) == 0
