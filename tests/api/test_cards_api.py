"""The /cards API of API.md, through HTTP with multipart photo uploads."""

import asyncio
import io
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.db.models import SmsOutboxMessage
from healthcode.photos import decoding
from tests.api.test_auth_api import log_in
from tests.integration.test_cards import ADULT, CHILD

Client = AsyncTestClient[Litestar]


def jpeg_file() -> tuple[str, bytes, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 500), (120, 140, 160)).save(buffer, "JPEG")
    return ("photo.jpg", buffer.getvalue(), "image/jpeg")


async def auth(client: Client, db: AsyncSession, phone: str = "13800138000") -> dict[str, str]:
    return {"Authorization": f"Bearer {await log_in(client, db, phone)}"}


async def apply(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/cards", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.settings(realname_delay_s=0)
async def test_apply_upload_and_read(client: Client, db: AsyncSession) -> None:
    headers = await auth(client, db)
    card = await apply(
        client, headers, name="张三", document_type="resident_id", document_number=ADULT, relationship="self"
    )
    assert card["status"] == "pending"
    assert card["application"]["missing_photos"] == ["front", "back"]
    assert card["masked_document"] == ADULT[:4] + "*" * 10 + ADULT[-4:]
    url = f"/api/v1/cards/{card['card_id']}/photos"
    first = await client.post(url, data={"side": "front"}, files={"file": jpeg_file()}, headers=headers)
    assert first.status_code == 201
    assert first.json()["application"]["missing_photos"] == ["back"]
    second = await client.post(url, data={"side": "back"}, files={"file": jpeg_file()}, headers=headers)
    assert second.json()["status"] == "approved"
    listed = (await client.get("/api/v1/cards", headers=headers)).json()
    assert [c["card_id"] for c in listed] == [card["card_id"]]
    one = (await client.get(f"/api/v1/cards/{card['card_id']}", headers=headers)).json()
    assert (one["status"], one["relationship"], one["application"]) == ("approved", "self", None)


@pytest.mark.settings(realname_delay_s=60)
async def test_pending_application_says_where_it_stands(client: Client, db: AsyncSession) -> None:
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三", document_type="resident_id", document_number=ADULT)
    url = f"/api/v1/cards/{card['card_id']}/photos"
    for side in ("front", "back"):
        await client.post(url, data={"side": side}, files={"file": jpeg_file()}, headers=headers)
    application = (await client.get(f"/api/v1/cards/{card['card_id']}", headers=headers)).json()["application"]
    assert application["state"] == "pending"
    assert application["queue_position"] == 0
    assert application["wait_seconds"] == 60


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (
            {"name": "张三", "document_type": "resident_id", "document_number": ADULT[:10]},
            422,
            "document_length",
            "document_number",
        ),
        (
            {"name": "张三", "document_type": "id", "document_number": ADULT},
            422,
            "document_type_unknown",
            "document_type",
        ),
        ({"name": "张3", "document_type": "resident_id", "document_number": ADULT}, 422, "name_invalid", "name"),
        (
            {"name": "张三", "document_type": "resident_id", "document_number": ADULT, "relationship": "boss"},
            422,
            "relationship_unknown",
            "relationship",
        ),
        ({"document_type": "resident_id", "document_number": ADULT}, 400, "invalid_request", "name"),
    ],
)
async def test_bad_applications(
    client: Client, db: AsyncSession, body: dict[str, str], status: int, code: str, field: str
) -> None:
    headers = await auth(client, db)
    response = await client.post("/api/v1/cards", json=body, headers=headers)
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert (await client.get("/api/v1/cards", headers=headers)).json() == []


@pytest.mark.settings(photo_max_bytes=200_000)
async def test_photo_errors_have_their_statuses(client: Client, db: AsyncSession) -> None:
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三", document_type="resident_id", document_number=ADULT)
    url = f"/api/v1/cards/{card['card_id']}/photos"
    not_photo = await client.post(
        url, data={"side": "front"}, files={"file": ("id.pdf", b"%PDF-1.7 ...", "image/jpeg")}, headers=headers
    )
    assert (not_photo.status_code, not_photo.json()["error"]["code"]) == (415, "photo_type")
    big = await client.post(
        url,
        data={"side": "front"},
        files={"file": ("big.jpg", b"\xff\xd8\xff" + b"0" * 300_000, "image/jpeg")},
        headers=headers,
    )
    assert (big.status_code, big.json()["error"]["code"]) == (413, "photo_too_large")
    wrong_side = await client.post(url, data={"side": "page"}, files={"file": jpeg_file()}, headers=headers)
    assert (wrong_side.status_code, wrong_side.json()["error"]["code"]) == (422, "photo_side_unknown")


@pytest.mark.settings(realname_delay_s=0)
async def test_family_cards_and_not_me(client: Client, db: AsyncSession) -> None:
    parent = await auth(client, db)
    child = await apply(
        client,
        parent,
        name="张小明",
        document_type="birth_certificate",
        document_number="O150123456",
        relationship="child",
    )
    sibling = await apply(
        client, parent, name="张二", document_type="resident_id", document_number=CHILD, relationship="sibling"
    )
    for card, sides in ((child, ("page",)), (sibling, ("front", "back"))):
        for side in sides:
            await client.post(
                f"/api/v1/cards/{card['card_id']}/photos",
                data={"side": side},
                files={"file": jpeg_file()},
                headers=parent,
            )
    listed = (await client.get("/api/v1/cards", headers=parent)).json()
    assert [(c["relationship"], c["status"]) for c in listed] == [("child", "approved"), ("sibling", "approved")]
    removed = await client.delete(f"/api/v1/cards/{sibling['card_id']}/holding", headers=parent)
    assert removed.status_code == 204
    assert [c["relationship"] for c in (await client.get("/api/v1/cards", headers=parent)).json()] == ["child"]


async def test_cards_need_a_login_and_are_private(client: Client, db: AsyncSession) -> None:
    assert (await client.get("/api/v1/cards")).status_code == 401
    owner = await auth(client, db)
    card = await apply(client, owner, name="张三", document_type="resident_id", document_number=ADULT)
    stranger = await auth(client, db, "13900139000")
    response = await client.get(f"/api/v1/cards/{card['card_id']}", headers=stranger)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "card_not_found")


@pytest.mark.settings(realname_delay_s=0)
async def test_someone_elses_number_tells_nothing_about_their_card(client: Client, db: AsyncSession) -> None:
    """Applying with another person's document number answers with what the caller typed, never
    with the existing card's name, until (and unless) the link is verified."""
    owner = await auth(client, db)
    card = await apply(client, owner, name="钱小红", document_type="resident_id", document_number=ADULT)
    for side in ("front", "back"):
        await client.post(
            f"/api/v1/cards/{card['card_id']}/photos", data={"side": side}, files={"file": jpeg_file()}, headers=owner
        )
    assert (await client.get(f"/api/v1/cards/{card['card_id']}", headers=owner)).json()["masked_name"] == "钱*红"

    stranger = await auth(client, db, "13900139000")
    joined = await apply(
        client, stranger, name="王五", document_type="resident_id", document_number=ADULT, relationship="sibling"
    )
    assert (joined["card_id"], joined["status"], joined["masked_name"]) == (card["card_id"], "pending", "王*")
    claimed = await client.get(f"/api/v1/cards/{card['card_id']}", headers=stranger)
    assert claimed.json()["masked_name"] == "王*"
    assert "钱" not in claimed.text
    declaring = await client.get(f"/cards/{card['card_id']}/declare", headers=stranger)
    assert declaring.status_code == 409, "no page of an unverified card shows its name"

    for side in ("front", "back"):  # verification fails on the name: the card stays unnamed to them
        await client.post(
            f"/api/v1/cards/{card['card_id']}/photos",
            data={"side": side},
            files={"file": jpeg_file()},
            headers=stranger,
        )
    rejected = await client.get(f"/api/v1/cards/{card['card_id']}", headers=stranger)
    assert (rejected.json()["status"], rejected.json()["masked_name"]) == ("rejected", "王*")
    assert "钱" not in rejected.text
    texts = list(await db.scalars(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == "13900139000")))
    assert any("王*" in text for text in texts), texts
    assert not any("钱" in text for text in texts)


@pytest.mark.settings(photo_decode_wait_s=0.05)
async def test_photo_upload_when_every_decoding_slot_is_busy_is_503_with_retry_after(
    client: Client, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三", document_type="resident_id", document_number=ADULT)
    url = f"/api/v1/cards/{card['card_id']}/photos"
    monkeypatch.setattr(decoding, "_semaphore", lambda slots: asyncio.Semaphore(0))  # every slot taken

    busy = await client.post(url, data={"side": "front"}, files={"file": jpeg_file()}, headers=headers)

    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    assert (busy.json()["error"]["code"], busy.json()["error"]["field"]) == ("photos_busy", "file")
    assert busy.json()["error"]["message"] == "现在正在核验的照片较多，请过几秒钟再上传您的照片。"
    missing = (await client.get(f"/api/v1/cards/{card['card_id']}", headers=headers)).json()["application"]
    assert missing["missing_photos"] == ["front", "back"]


@pytest.mark.settings(realname_delay_s=0)
async def test_a_card_identifier_no_card_can_have_is_not_found_on_every_card_path(
    client: Client, db: AsyncSession
) -> None:
    """Text PostgreSQL would refuse (a NUL) in a card's path is a card not on this phone, as any
    unknown card is: never a 500 (it was one on PostgreSQL)."""
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三", document_type="resident_id", document_number=ADULT)
    for path in (f"/api/v1/cards/{card['card_id']}%00", "/api/v1/cards/a%00b", "/api/v1/cards/a%00b/declarations"):
        refused = await client.get(path, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "card_not_found"), path
    client.cookies.set("hc_session", headers["Authorization"].removeprefix("Bearer "))
    assert (await client.get("/cards/a%00b")).status_code == 404
    assert (await client.get(f"/api/v1/cards/{card['card_id']}", headers=headers)).status_code == 200
