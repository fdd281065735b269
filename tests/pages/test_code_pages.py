"""The code page (SPEC §7), read like the code endpoint: one statement for the session, the card,
its reasons and its latest declaration."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.models import AuthSession
from healthcode.domain.clock import FixedClock
from healthcode.kit.assets import asset_bytes, inline_asset
from healthcode.kit.compression import _deflated
from tests.factories import card_application, counted_reads, logged_in_resident, one_gzip_member
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)


async def code_page(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> tuple[str, str]:
    """A logged-in resident (cookie set) with a declared card; its code page and session token."""
    await KeyService(db, settings, clock).generate("test")
    resident = await logged_in_resident(db, settings, clock)
    client.cookies.set("hc_session", resident.token)
    view = await card_application(
        db, settings, clock, resident.resident.id, name="张三丰", document_type="resident_id", number=ADULT
    )
    return f"/cards/{view.card.public_id}/code", resident.token


async def test_the_page_carries_its_first_code_and_what_the_card_says(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page, _ = await code_page(client, db, settings, clock)
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert re.search(r'data-token="HC1:[^"]+"', html), "the QR shows without another request"
    assert 'data-colour="green"' in html
    assert "张*丰" in html
    assert ADULT[-4:] in html
    assert ADULT not in html
    assert "最近申报：" in html


async def test_the_page_needs_a_login_and_the_card_on_this_phone(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page, _ = await code_page(client, db, settings, clock)
    client.cookies.delete("hc_session")
    away = await client.get(page, follow_redirects=False)
    assert away.status_code in (302, 303)
    assert away.headers["location"].startswith("/login")
    stranger = await logged_in_resident(db, settings, clock, phone="13900139000")
    client.cookies.set("hc_session", stranger.token)
    assert (await client.get(page)).status_code == 404


async def test_the_page_records_last_seen_and_a_code_refresh_does_not(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page, token = await code_page(client, db, settings, clock)
    opened = await db.scalar(select(AuthSession.last_seen_at))
    clock.advance(minutes=11)
    refresh = await client.get(f"/api/v1{page}", headers={"Authorization": f"Bearer {token}"})
    assert refresh.status_code == 200
    db.expire_all()
    assert await db.scalar(select(AuthSession.last_seen_at)) == opened, "the app's refreshes never write"
    assert (await client.get(page)).status_code == 200
    db.expire_all()
    assert await db.scalar(select(AuthSession.last_seen_at)) == clock.now()


async def test_the_page_makes_one_read(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """One statement on the lean path and none through the ORM engine (last seen is fresh)."""
    page, _ = await code_page(client, db, settings, clock)
    assert (await client.get(page)).status_code == 200  # warms the signing-key cache
    with counted_reads(app) as (lean, statements):
        assert (await client.get(page)).status_code == 200
    assert statements == []
    assert len(lean) == 1


async def test_the_page_is_gzipped_whole_for_clients_that_accept_it(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """Its inlined files from blocks made once (healthcode.kit.compression): one gzip member that
    decodes to the page, its length as sent; a client that does not accept gzip gets the page as is."""
    page, _ = await code_page(client, db, settings, clock)
    async with client.stream("GET", page, headers={"Accept-Encoding": "gzip"}) as response:
        sent = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) == len(sent)
    html = one_gzip_member(sent).decode()
    for name in ("site.css", "vendor/qrcode-generator-1.4.4.min.js", "code.js"):
        assert _deflated(asset_bytes(name)) in sent, f"{name}: its blocks made once, not compressed again"
    assert inline_asset("vendor/qrcode-generator-1.4.4.min.js") in html
    assert re.search(r'data-token="HC1:[^"]+"', html)
    assert len(sent) < len(html) / 2

    plain = await client.get(page, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert inline_asset("vendor/qrcode-generator-1.4.4.min.js") in plain.text
