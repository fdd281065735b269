"""Support pages: the ticket form pre-filled from a card or an error, filing it, my tickets."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import Ticket
from healthcode.domain.clock import FixedClock
from tests.api.test_auth_api import log_in
from tests.api.test_support_api import resident_id
from tests.factories import card_application, csrf_token
from tests.integration.test_support import ADULT
from tests.pages.test_login_pages import field_error

Client = AsyncTestClient[Litestar]
PHONE, OTHER_PHONE = "13800138000", "13900139000"
NEW = "/support/tickets/new"


async def logged_in(client: Client, db: AsyncSession, phone: str = PHONE) -> None:
    """Log in through the API and carry the session as the browser would, in English."""
    client.cookies.set("hc_session", await log_in(client, db, phone))
    client.headers["Accept-Language"] = "en"


def unlabelled_fields(html: str) -> list[str]:
    ids = re.findall(r'<(?:select|textarea)[^>]*\bid="([^"]+)"', html)
    ids += [m for m in re.findall(r'<input(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)]
    return [i for i in ids if f'<label for="{i}">' not in html]


async def rejected_card(db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A card this resident applied to join under a name that is not the card's (FAQ 6)."""
    owner = await card_application(
        db,
        settings,
        clock,
        await resident_id(db, OTHER_PHONE),
        name="张三丰",
        document_type="resident_id",
        number=ADULT,
    )
    view = await card_application(
        db,
        settings,
        clock,
        await resident_id(db),
        name="王五",
        document_type="resident_id",
        number=ADULT,
        relationship="sibling",
    )
    assert (owner.card.public_id, view.status) == (view.card.public_id, "rejected")
    return view.card.public_id


@pytest.mark.settings(realname_delay_s=0)
async def test_form_from_a_card_is_pre_filled(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await log_in(client, db, OTHER_PHONE)
    await logged_in(client, db)
    card = await rejected_card(db, settings, clock)
    page = await client.get(NEW, params={"category": "realname_failed", "card": card, "code": "name_mismatch"})
    assert page.status_code == 200
    html = page.text
    assert '<option value="realname_failed" selected>' in html
    assert f'name="card_id" value="{card}"' in html
    assert 'name="error_code" value="name_mismatch"' in html
    assert "王*" in html
    assert ADULT[:4] + "*" * 10 + ADULT[-4:] in html
    assert ADULT not in html
    assert 'id="document_number"' not in html, "the card's document is not asked again"
    assert "registered in your own name" in html, "FAQ 6's first answer comes first"
    assert "138****8000" in html
    assert "15248114681" in html
    assert "09:00-12:00, 14:00-17:00" in html
    assert unlabelled_fields(html) == []


@pytest.mark.settings(realname_delay_s=0)
async def test_filing_from_a_card_shows_my_tickets_with_a_notice(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await log_in(client, db, OTHER_PHONE)
    await logged_in(client, db)
    card = await rejected_card(db, settings, clock)
    token = await csrf_token(client, f"{NEW}?card={card}")
    response = await client.post(
        "/support/tickets",
        data={"category": "realname_failed", "card_id": card, "text": "我是他哥哥\r\n名字没错", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    ticket = await db.scalar(select(Ticket))
    assert ticket is not None
    assert response.headers["location"] == f"/support/tickets?filed={ticket.id}"
    assert '"rejection_reason": "name_mismatch"' in ticket.context

    listing = await client.get(response.headers["location"])
    assert "Ticket filed. An agent will contact you at 138****8000." in listing.text
    assert "My real-name verification does not pass" in listing.text
    assert "我是他哥哥\n名字没错" in listing.text
    assert "2026-03-01 10:00" in listing.text, "the time in the region's zone"


async def test_form_without_a_card_asks_for_name_and_document(client: Client, db: AsyncSession) -> None:
    await logged_in(client, db)
    html = (await client.get(NEW, params={"category": "bogus", "code": "<script>"})).text
    assert '<option value="" selected>' in html, "an unknown category preselects nothing"
    assert "error_code" not in html
    for field in ("name", "document_type", "document_number", "text", "category"):
        assert f'id="{field}"' in html
    assert unlabelled_fields(html) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"category": "realname_failed", "document_number": ADULT[:-1] + ("1" if ADULT[-1] == "0" else "0")},
            "document_number",
            "The last character does not match the rest of the number. Check the last character, then the others.",
        ),
        ({"text": ""}, "text", "Describe what happened and what you need, in a few words."),
        ({"category": ""}, "category", "Choose what your ticket is about."),
        ({"name": ""}, "name", "Enter your name as printed on your document."),
    ],
)
async def test_errors_show_beside_the_field_and_keep_what_was_typed(
    client: Client, db: AsyncSession, fields: dict[str, str], field: str, message: str
) -> None:
    await logged_in(client, db)
    token = await csrf_token(client, NEW)
    form = {
        "category": "parameter_error",
        "name": "张三",
        "document_type": "resident_id",
        "document_number": ADULT,
        "text": "提示参数校验不通过",
        "error_code": "document_checksum",
        **fields,
    }
    response = await client.post("/support/tickets", data={**form, "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert 'aria-invalid="true"' in response.text
    assert 'name="error_code" value="document_checksum"' in response.text
    if field != "text":
        assert "提示参数校验不通过</textarea>" in response.text
    assert await db.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.settings(realname_delay_s=0)
async def test_another_residents_card_and_tickets_are_not_shown(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await logged_in(client, db, OTHER_PHONE)
    view = await card_application(
        db, settings, clock, await resident_id(db, OTHER_PHONE), name="李四", document_type="resident_id", number=ADULT
    )
    their_card = view.card.public_id
    token = await csrf_token(client, NEW)
    await client.post("/support/tickets", data={"category": "other", "text": "他们的问题", "_csrf_token": token})
    their_ticket = await db.scalar(select(Ticket.id))

    client.cookies.clear()
    await logged_in(client, db)
    page = await client.get(NEW, params={"card": their_card})
    assert page.status_code == 404
    assert "李" not in page.text
    listing = await client.get("/support/tickets", params={"filed": str(their_ticket)})
    assert "他们的问题" not in listing.text
    assert "Ticket filed" not in listing.text
    assert "You have not filed a support ticket." in listing.text


async def test_pages_need_a_login(client: Client) -> None:
    response = await client.get(NEW, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/support/tickets/new"
