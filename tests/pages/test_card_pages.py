"""The card page's forms: ordinary mistakes are said beside the field, with the page whole."""

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.photos import decoding
from tests.api.test_cards_api import jpeg_file
from tests.factories import card_application, csrf_token, logged_in_resident
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]


async def card_waiting_for_photos(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> tuple[str, str]:
    """A logged-in resident's card page waiting for its photos, and the page's CSRF token."""
    resident = await logged_in_resident(db, settings, clock)
    client.cookies.set("hc_session", resident.token)
    view = await card_application(
        db, settings, clock, resident.resident.id, document_type="resident_id", number=ADULT, photos=False
    )
    page = f"/cards/{view.card.public_id}"
    return page, await csrf_token(client, page)


@pytest.mark.settings(realname_delay_s=0)
async def test_upload_without_a_photo_is_said_beside_the_field(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page, token = await card_waiting_for_photos(client, db, settings, clock)
    for files in ({}, {"file": ("", b"", "application/octet-stream")}):  # no part, or an empty one
        response = await client.post(f"{page}/photos", data={"side": "front", "_csrf_token": token}, files=files)
        assert response.status_code == 422
        assert 'id="photo-front-error"' in response.text
        assert "请先选择照片，再点“上传”。" in response.text
        assert "字段" not in response.text, "no technical message"
        assert 'id="photo-back"' in response.text, "the page comes back whole"


@pytest.mark.settings(realname_delay_s=0, photo_decode_wait_s=0.05)
async def test_upload_while_every_decoding_slot_is_busy_says_to_send_it_again_beside_the_field(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, token = await card_waiting_for_photos(client, db, settings, clock)
    monkeypatch.setattr(decoding, "_semaphore", lambda slots: asyncio.Semaphore(0))  # every slot taken
    files = {"file": ("id.jpg", jpeg_file()[1], "image/jpeg")}
    response = await client.post(f"{page}/photos", data={"side": "front", "_csrf_token": token}, files=files)
    assert response.status_code == 503
    assert 'id="photo-front-error"' in response.text
    assert "现在正在核验的照片较多，请过几秒钟再上传您的照片。" in response.text
    assert 'id="photo-back"' in response.text, "the page comes back whole"


@pytest.mark.settings(realname_delay_s=0)
async def test_this_card_is_not_me_asks_first_then_says_what_happened(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await logged_in_resident(db, settings, clock)
    client.cookies.set("hc_session", resident.token)
    view = await card_application(db, settings, clock, resident.resident.id, document_type="resident_id", number=ADULT)
    page = f"/cards/{view.card.public_id}"
    token = await csrf_token(client, page)
    asked = await client.post(f"{page}/remove", data={"_csrf_token": token})
    assert asked.status_code == 200
    assert "这张卡不是您的吗？" in asked.text
    assert (await client.get(page)).status_code == 200, "nothing happened yet"
    done = await client.post(f"{page}/remove", data={"_csrf_token": token, "confirmed": "yes"}, follow_redirects=True)
    assert "这张卡已从本手机移除，对方的卡不受影响。您现在可以申领自己的卡。" in done.text
    assert (await client.get(page)).status_code == 404
