"""API.md ``GET /api/v1/cards/{card_id}/code``: the hot path of showing a code."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.verification import make_verifier
from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.models import Application
from healthcode.domain.cards import Outcome, Verdict
from healthcode.domain.clock import FixedClock
from tests.api.test_cards_api import apply, auth, jpeg_file
from tests.api.test_declarations_api import HEALTHY
from tests.factories import counted_reads
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]


async def issued(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, *, declared: bool = True
) -> tuple[dict[str, str], str]:
    """A resident-ID card applied for through the API, with a healthy declaration once it is issued
    (unless ``declared`` is False)."""
    await KeyService(db, settings, clock).generate("test")
    headers = await auth(client, db)
    card = await apply(client, headers, name="张三丰", document_type="resident_id", document_number=ADULT)
    for side in ("front", "back"):
        shown = await client.post(
            f"/api/v1/cards/{card['card_id']}/photos", data={"side": side}, files={"file": jpeg_file()}, headers=headers
        )
    if declared and shown.json()["status"] == "approved":
        declaring = await client.post(f"/api/v1/cards/{card['card_id']}/declarations", json=HEALTHY, headers=headers)
        assert declaring.status_code == 201, declaring.text
    return headers, card["card_id"]


@pytest.mark.settings(realname_delay_s=0)
async def test_there_is_no_code_before_the_first_declaration(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock, declared=False)
    shown = (await client.get(f"/api/v1/cards/{card}", headers=headers)).json()
    assert (shown["status"], shown["colour"]) == ("approved", None)
    refused = await client.get(f"/api/v1/cards/{card}/code", headers={**headers, "Accept-Language": "en"})
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "declaration_required",
        "message": "There is no health code before the first health declaration: declare first, then show the code.",
        "field": "card_id",
    }
    assert (await client.post(f"/api/v1/cards/{card}/declarations", json=HEALTHY, headers=headers)).status_code == 201
    code = await client.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert (code.status_code, code.json()["colour"]) == (200, "green")


@pytest.mark.settings(realname_delay_s=0)
async def test_the_code_verifies_and_shows_only_masked_data(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    response = await client.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["colour"] == "green"
    assert body["refresh_after"] == 60
    assert body["token"].startswith("HC1:")
    assert len(body["token"]) < 260
    checked = (await client.post("/api/v1/verifications", json={"token": body["token"]})).json()
    assert checked["valid"] is True
    assert checked["reason"] == "ok"
    assert (checked["colour"], checked["masked_name"]) == ("green", "张*丰")
    assert checked["masked_document"] == ADULT[:4] + "*" * 10 + ADULT[-4:]
    assert ADULT not in str(checked)


@pytest.mark.settings(realname_delay_s=0)
async def test_the_hot_path_makes_one_read_and_no_write(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """One statement on the lean path (the session and the card together), none through the ORM
    engine, even when the session's "last seen" is old."""
    headers, card = await issued(client, db, settings, clock)
    clock.advance(minutes=30)  # past TOUCH_EVERY: a page would now write "last seen"
    await client.get(f"/api/v1/cards/{card}/code", headers=headers)  # warms the signing-key cache
    with counted_reads(app) as (lean, statements):
        assert (await client.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200
    assert statements == []
    assert len(lean) == 1, lean
    assert lean[0].lstrip().startswith("SELECT")


@pytest.mark.settings(realname_delay_s=60)
async def test_no_code_while_pending_and_none_for_strangers(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    headers, card = await issued(client, db, settings, clock)
    pending = await client.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert (pending.status_code, pending.json()["error"]["code"]) == (409, "card_not_approved")
    stranger = await auth(client, db, "13900139000")
    other = await client.get(f"/api/v1/cards/{card}/code", headers=stranger)
    assert (other.status_code, other.json()["error"]["code"]) == (404, "card_not_found")
    assert (await client.get(f"/api/v1/cards/{card}/code")).status_code == 401


@pytest.mark.settings(realname_delay_s=60)
async def test_a_link_still_being_checked_gets_no_code(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """Typing someone's document number must not show their code before the real-name check."""
    await KeyService(db, settings, clock).generate("test")
    owner = await auth(client, db)
    card = await apply(client, owner, name="张三丰", document_type="resident_id", document_number=ADULT)

    application = await db.scalar(select(Application))
    assert application is not None
    await make_verifier(db, settings, clock).conclude(application, Verdict(Outcome.APPROVED), decided_by="test")
    await db.commit()
    declared = await client.post(f"/api/v1/cards/{card['card_id']}/declarations", json=HEALTHY, headers=owner)
    assert declared.status_code == 201
    assert (await client.get(f"/api/v1/cards/{card['card_id']}/code", headers=owner)).status_code == 200

    stranger = await auth(client, db, "13900139000")
    joined = await apply(
        client, stranger, name="张三丰", document_type="resident_id", document_number=ADULT, relationship="sibling"
    )
    assert joined["card_id"] == card["card_id"]
    response = await client.get(f"/api/v1/cards/{card['card_id']}/code", headers=stranger)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "card_not_approved")
    assert "token" not in response.json()


@pytest.mark.settings(realname_delay_s=0)
async def test_changes_through_the_api_need_the_bearer_token_not_the_cookie(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """The API is outside CSRF protection: a login cookie alone may read but not change."""
    headers, card = await issued(client, db, settings, clock)
    client.cookies.set("hc_session", headers["Authorization"].removeprefix("Bearer "))
    assert (await client.get(f"/api/v1/cards/{card}/code")).status_code == 200
    forged = await client.delete(f"/api/v1/cards/{card}/holding")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "unauthenticated")
    assert (await client.get(f"/api/v1/cards/{card}", headers=headers)).status_code == 200


@pytest.mark.settings(realname_delay_s=0)
async def test_a_card_identifier_no_card_can_have_is_not_found(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """Text the database would refuse (a NUL, a lone surrogate's bytes) is a card not on this
    phone, after the session is checked; the card itself still shows."""
    headers, card = await issued(client, db, settings, clock)
    for hostile in ("a%00b", card[:-1] + "%00", "%ED%A0%80", card.upper(), card + "0"):
        url = f"/api/v1/cards/{hostile}/code"
        assert (await client.get(url)).status_code == 401
        refused = await client.get(url, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "card_not_found"), hostile
    assert (await client.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200


@pytest.mark.settings(realname_delay_s=0)
async def test_the_display_survives_the_database_dropping_its_connections(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """A restarted or failed-over database: the lean read opens a new connection and goes on."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections")
    headers, card = await issued(client, db, settings, clock)
    assert (await client.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200
    await db.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    await db.commit()
    for _ in range(3):
        assert (await client.get(f"/api/v1/cards/{card}/code", headers=headers)).status_code == 200
