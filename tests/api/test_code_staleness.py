"""docs/adr/0015: a code display reads the session and the card as they are now, so a change made
through one server reaches the displays of every other server at once (no cache to wait out).

Two apps on one database stand for two servers behind a load balancer."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.web.app import create_app
from tests.api.test_cards_api import auth
from tests.api.test_code_api import issued
from tests.api.test_declarations_api import HEALTHY

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)


@pytest.fixture
async def second(settings: Settings, clock: FixedClock) -> AsyncIterator[Client]:
    """Another server of the same cluster: its own app, engine and lean reads."""
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
        yield client


async def test_a_colour_change_shows_on_every_server_at_once(
    client: Client, second: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    assert (await second.get(f"/api/v1/cards/{card}/code", headers=headers)).json()["colour"] == "green"
    fever = {**HEALTHY, "temperature": 38.6}
    assert (await client.post(f"/api/v1/cards/{card}/declarations", json=fever, headers=headers)).status_code == 201
    stored = (await client.get(f"/api/v1/cards/{card}", headers=headers)).json()["colour"]
    assert stored != "green"
    shown = await second.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert (shown.status_code, shown.json()["colour"]) == (200, stored)


async def test_a_removed_link_shows_no_code_on_any_server(
    client: Client, second: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    assert (await second.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200
    assert (await client.delete(f"/api/v1/cards/{card}/holding", headers=headers)).status_code == 204
    refused = await second.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "card_not_found")


async def test_a_revoked_session_is_refused_on_every_server_at_once(
    client: Client, second: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    clock.advance(seconds=61)  # the next login code may be sent
    other_phone = await auth(client, db)  # the same resident logged in on a second device
    assert (await second.get(f"/api/v1/cards/{card}/code", headers=other_phone)).status_code == 200
    assert (await second.get("/api/v1/auth/sessions", headers=other_phone)).status_code == 200
    sessions = (await client.get("/api/v1/auth/sessions", headers=headers)).json()
    victim = next(s for s in sessions if not s["current"])
    assert (await client.delete(f"/api/v1/auth/sessions/{victim['id']}", headers=headers)).status_code == 204
    refused = await second.get(f"/api/v1/cards/{card}/code", headers=other_phone)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthenticated")
    assert (await second.get("/api/v1/auth/sessions", headers=other_phone)).status_code == 401
    assert (await second.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200
