"""The /tickets API: a resident files a support ticket (with a picture), lists their own with
support's replies, and reads one."""

import io
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import Resident, Ticket
from healthcode.domain.clock import FixedClock
from healthcode.privacy.sealed import Sealer
from healthcode.support.desk.service import DeskService
from tests import factories
from tests.api.test_auth_api import assert_error, log_in
from tests.factories import card_application
from tests.integration.test_support import ADULT

Client = AsyncTestClient[Litestar]
TICKETS = "/api/v1/tickets"


async def auth(client: Client, db: AsyncSession, phone: str = "13800138000") -> dict[str, str]:
    return {"Authorization": f"Bearer {await log_in(client, db, phone)}"}


async def resident_id(db: AsyncSession, phone: str = "13800138000") -> int:
    found = await db.scalar(select(Resident.id).where(Resident.phone == phone))
    assert found is not None
    return found


async def file(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(TICKETS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_file_then_list(client: Client, db: AsyncSession, clock: FixedClock) -> None:
    headers = await auth(client, db)
    filed = await file(
        client,
        headers,
        category="parameter_error",
        text="提示参数校验不通过",
        name="张三",
        document_type="resident_id",
        document_number=ADULT,
        error_code="document_checksum",
    )
    assert set(filed) == {"id", "category", "status", "created_at"}
    assert (filed["category"], filed["status"]) == ("parameter_error", "open")
    assert filed["created_at"].startswith(clock.now().isoformat()[:19])
    clock.advance(minutes=1)
    later = await file(client, headers, category="other", text="还有一个问题")

    listed = (await client.get(TICKETS, headers=headers)).json()
    assert [t["id"] for t in listed] == [later["id"], filed["id"]], "newest first"
    expected = {**filed, "text": "提示参数校验不通过", "replies": [], "has_screenshot": False}
    assert listed[1] == expected, "no personal data or context comes back"


@pytest.mark.settings(realname_delay_s=0)
async def test_file_from_a_card(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    headers = await auth(client, db)
    view = await card_application(
        db, settings, clock, await resident_id(db), name="张三", document_type="passport", number="E12345678"
    )
    filed = await file(client, headers, category="realname_failed", text="一直在审核", card_id=view.card.public_id)
    assert filed["category"] == "realname_failed"
    ticket = await db.get(Ticket, filed["id"])
    assert ticket is not None
    assert ticket.document_type == "passport"
    assert '"application_state": "review"' in ticket.context


async def test_bad_document_number_is_422_on_its_field(client: Client, db: AsyncSession) -> None:
    headers = await auth(client, db)
    response = await client.post(
        TICKETS,
        json={
            "category": "realname_failed",
            "text": "验证不通过",
            "name": "张三",
            "document_type": "resident_id",
            "document_number": ADULT[:-1] + ("1" if ADULT[-1] == "0" else "0"),
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert_error(response.json(), "document_checksum", "document_number")
    assert await db.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"category": "other", "text": ""}, 422, "ticket_text_required", "text"),
        ({"category": "other", "text": "x" * 2001}, 422, "ticket_text_too_long", "text"),
        ({"category": "complaint", "text": "x"}, 422, "ticket_category_unknown", "category"),
        ({"category": "realname_failed", "text": "x"}, 422, "name_required", "name"),
        ({"category": "other"}, 400, "invalid_request", "text"),
        ({"category": "other", "text": "x", "card_id": "0" * 64}, 404, "card_not_found", "card_id"),
    ],
)
async def test_bad_tickets(
    client: Client, db: AsyncSession, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = await client.post(TICKETS, json=body, headers=await auth(client, db))
    assert response.status_code == status
    assert_error(response.json(), code, field)


@pytest.mark.settings(realname_delay_s=0)
async def test_another_residents_card_and_tickets_stay_theirs(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    mine = await auth(client, db, "13800138000")
    theirs = await auth(client, db, "13900139000")
    view = await card_application(
        db,
        settings,
        clock,
        await resident_id(db, "13900139000"),
        name="李四",
        document_type="resident_id",
        number=ADULT,
    )
    await file(client, theirs, category="other", text="他们的问题")
    response = await client.post(
        TICKETS, json={"category": "realname_failed", "text": "x", "card_id": view.card.public_id}, headers=mine
    )
    assert response.status_code == 404
    assert_error(response.json(), "card_not_found", "card_id")
    assert (await client.get(TICKETS, headers=mine)).json() == []


async def test_tickets_need_a_login(client: Client) -> None:
    for response in (await client.get(TICKETS), await client.post(TICKETS, json={"category": "other", "text": "x"})):
        assert response.status_code == 401
        assert_error(response.json(), "unauthenticated")


async def test_messages_follow_the_language(client: Client, db: AsyncSession) -> None:
    headers = {**await auth(client, db), "Accept-Language": "en"}
    response = await client.post(TICKETS, json={"category": "other", "text": " "}, headers=headers)
    assert response.json()["error"]["message"] == "Describe what happened and what you need, in a few words."


def jpeg_with_gps() -> bytes:
    """A phone photo with an EXIF block naming the place it was taken."""
    image = Image.new("RGB", (320, 200), (200, 180, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 49.0, 12.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_a_ticket_carries_one_cleaned_picture_and_the_replies(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers = await auth(client, db)
    filed = await file(client, headers, category="other", text="收不到验证码")
    photo = jpeg_with_gps()
    assert b"PhoneMaker" in photo

    sent = await client.post(
        f"{TICKETS}/{filed['id']}/screenshot", files={"file": ("s.jpg", photo, "image/jpeg")}, headers=headers
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["has_screenshot"] is True
    row = await db.get_one(Ticket, filed["id"])
    await db.refresh(row, ["screenshot_enc", "screenshot_type"])
    assert row.screenshot_type == "image/jpeg"
    assert row.screenshot_enc is not None
    assert b"PhoneMaker" not in row.screenshot_enc
    stored = Sealer(settings.keyring).open_bytes(row, "screenshot_enc")
    assert b"PhoneMaker" not in stored, "metadata stripped"
    assert Image.open(io.BytesIO(stored)).size == (320, 200)

    again = await client.post(
        f"{TICKETS}/{filed['id']}/screenshot", files={"file": ("s.jpg", photo, "image/jpeg")}, headers=headers
    )
    assert again.status_code == 409
    assert_error(again.json(), "ticket_screenshot_exists", "file")

    other = await file(client, headers, category="other", text="另一个问题")
    not_image = await client.post(
        f"{TICKETS}/{other['id']}/screenshot",
        files={"file": ("s.jpg", b"%PDF-1.4 hello", "image/jpeg")},
        headers=headers,
    )
    assert not_image.status_code == 415
    stranger = await auth(client, db, "13900139000")
    theirs = await client.post(
        f"{TICKETS}/{other['id']}/screenshot", files={"file": ("s.jpg", photo, "image/jpeg")}, headers=stranger
    )
    assert theirs.status_code == 404
    assert_error(theirs.json(), "ticket_not_found", "ticket")
    assert (await client.get(f"{TICKETS}/{other['id']}", headers=stranger)).status_code == 404

    agent = await factories.staff(db, settings, clock, roles=("support",), username="agent")
    await DeskService(db, settings, clock).reply(
        factories.staff_principal(agent), filed["id"], "已为您处理", "in_progress"
    )
    one = (await client.get(f"{TICKETS}/{filed['id']}", headers=headers)).json()
    assert one["status"] == "in_progress"
    assert [(r["text"], r["status"]) for r in one["replies"]] == [("已为您处理", "in_progress")]
    assert set(one["replies"][0]) == {"at", "status", "text"}
    listed = (await client.get(TICKETS, headers=headers)).json()
    assert next(t for t in listed if t["id"] == filed["id"]) == one
