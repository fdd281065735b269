"""The ticket page's fixes: a resident files a ticket with a picture, the agent opens the picture
only on request (audited), and each fix answers with a notice, or with its refusal beside its
button and nothing changed. The pages are read in English."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import AuditRecord, CardHolder, Ticket, TicketFix
from healthcode.domain.clock import FixedClock
from healthcode.domain.masking import mask_document
from tests import factories
from tests.integration.test_support import ADULT
from tests.pages.test_review_pages import field_error
from tests.pages.test_support_pages import NEW, logged_in

Client = AsyncTestClient[Litestar]
OLD_PHONE, NEW_PHONE = "13800138000", "13900139000"


async def file_with_picture(client: Client, db: AsyncSession, picture: bytes) -> Client:
    """The resident on the new phone files a "card on another phone" ticket with a picture."""
    await logged_in(client, db, NEW_PHONE)
    token = await factories.csrf_token(client, f"{NEW}?category=phone_taken")
    return await client.post(
        "/support/tickets",
        data={
            "_csrf_token": token,
            "category": "phone_taken",
            "name": "张三丰",
            "document_type": "resident_id",
            "document_number": ADULT,
            "text": "换了新手机，卡还在旧手机上",
        },
        files={"screenshot": ("id.png", picture, "image/png")},
    )


async def sign_in_agent(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    client.cookies.clear()
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=("support",), username="agent")
    return await factories.sign_in_staff(client, account, clock)


async def audited(db: AsyncSession, action: str) -> int:
    return int(await db.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


@pytest.mark.settings(realname_delay_s=0)
async def test_agent_sees_the_picture_on_request_and_rebinds_the_card(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old = await factories.resident(db, clock, OLD_PHONE)
    await factories.card_application(
        db, settings, clock, old.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    filed = await file_with_picture(client, db, factories.photo_bytes((300, 200)))
    assert filed.status_code == 200
    assert "Ticket filed" in filed.text
    ticket = await db.scalar(select(Ticket.id))
    base = f"/staff/support/{ticket}"
    agent = await sign_in_agent(client, db, settings, clock)

    page = await client.get(base)
    assert 'id="show-photo"' in page.text
    assert f'src="{base}/screenshot"' not in page.text
    assert await audited(db, "support.screenshot") == 0
    assert mask_document(ADULT) in page.text  # the card's document, masked, to compare with the picture
    shown = await client.get(f"{base}?show=photo")
    assert f'src="{base}/screenshot"' in shown.text
    image = await client.get(f"{base}/screenshot")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "no-store"
    assert image.content.startswith(b"\x89PNG")
    assert await audited(db, "support.screenshot") == 1

    unticked = await client.post(f"{base}/rebind", data={"_csrf_token": agent})
    assert unticked.status_code == 422
    assert "tick the box" in field_error(unticked.text, "rebind")
    assert await db.scalar(select(func.count()).select_from(TicketFix)) == 0

    moved = await client.post(f"{base}/rebind", data={"_csrf_token": agent, "confirmed": "yes"})
    assert moved.status_code == 200
    assert "The card is on the resident&#39;s new phone now." in moved.text
    holders = (await db.execute(select(CardHolder.resident_id, CardHolder.status).order_by(CardHolder.id))).all()
    assert [status for _, status in holders] == ["ended", "active"]
    again = await client.post(f"{base}/rebind", data={"_csrf_token": agent, "confirmed": "yes"})
    assert again.status_code == 409
    assert "already" in field_error(again.text, "rebind")

    clock.advance(seconds=settings.sms_limits.resend_interval_s + 1)
    await logged_in(client, db, NEW_PHONE)
    mine = await client.get("/support/tickets")
    assert "此卡已改绑到本手机" in mine.text  # written in the region's language, as its SMS
    assert "✓ Picture sent with the ticket" in mine.text, "the resident sees the picture went with the ticket"
    home = await client.get("/")
    assert "张*丰" in home.text


async def test_a_file_that_is_not_a_picture_files_nothing(client: Client, db: AsyncSession) -> None:
    refused = await file_with_picture(client, db, b"%PDF-1.4 not a picture")
    assert refused.status_code == 415
    assert "JPEG, PNG or HEIC" in field_error(refused.text, "file")
    assert await db.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_fixes_that_do_not_apply_say_why_beside_their_button(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock, NEW_PHONE)
    view = await factories.card_application(
        db, settings, clock, resident.id, name="张三丰", document_type="resident_id", number=ADULT, photos=False
    )
    card_id = view.card.public_id
    await file_with_picture(client, db, factories.photo_bytes())
    ticket = await db.scalar(select(Ticket.id))
    base = f"/staff/support/{ticket}"
    agent = await sign_in_agent(client, db, settings, clock)
    before = await db.scalar(select(func.count()).select_from(AuditRecord))

    recheck = await client.post(f"{base}/recheck", data={"_csrf_token": agent})
    assert recheck.status_code == 409
    assert "waits for its document photos" in field_error(recheck.text, "recheck")
    review = await client.post(f"{base}/review", data={"_csrf_token": agent})
    assert review.status_code == 409
    assert field_error(review.text, "review")
    rebind = await client.post(f"{base}/rebind", data={"_csrf_token": agent, "confirmed": "yes"})
    assert rebind.status_code == 409
    assert "not been issued" in field_error(rebind.text, "rebind")
    same = await client.post(f"{base}/name", data={"_csrf_token": agent, "name": "张三丰"})
    assert same.status_code == 422
    assert "already" in field_error(same.text, "name")
    assert 'value="张三丰"' in same.text
    unknown = await client.post(f"{base}/end-link", data={"_csrf_token": agent, "card_id": "nope"})
    assert unknown.status_code == 404
    assert "nothing was changed" in field_error(unknown.text, "end_link")
    opened = await audited(db, "support.open")
    assert await db.scalar(select(func.count()).select_from(AuditRecord)) == before + opened  # reads only

    corrected = await client.post(f"{base}/name", data={"_csrf_token": agent, "name": "张三峰"})
    assert "The name on the application has been corrected." in corrected.text
    ended = await client.post(f"{base}/end-link", data={"_csrf_token": agent, "card_id": card_id})
    assert "taken off the resident&#39;s phone" in ended.text
    assert "The resident&#39;s phone shows no card." in ended.text
