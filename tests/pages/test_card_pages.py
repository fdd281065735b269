"""The card page's forms: ordinary mistakes are said beside the field, with the page whole."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from tests.factories import card_application, csrf_token, logged_in_resident
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]


@pytest.mark.settings(realname_delay_s=0)
async def test_upload_without_a_photo_is_said_beside_the_field(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await logged_in_resident(db, settings, clock)
    client.cookies.set("hc_session", resident.token)
    view = await card_application(
        db, settings, clock, resident.resident.id, document_type="resident_id", number=ADULT, photos=False
    )
    page = f"/cards/{view.card.public_id}"
    token = await csrf_token(client, page)
    for files in ({}, {"file": ("", b"", "application/octet-stream")}):  # no part, or an empty one
        response = await client.post(f"{page}/photos", data={"side": "front", "_csrf_token": token}, files=files)
        assert response.status_code == 422
        assert 'id="photo-front-error"' in response.text
        assert "请先选择照片，再点“上传”。" in response.text
        assert "字段" not in response.text, "no technical message"
        assert 'id="photo-back"' in response.text, "the page comes back whole"
