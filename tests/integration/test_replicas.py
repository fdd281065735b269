"""Code display read from a streaming replica (HEALTHCODE_DATABASE_REPLICA_URLS, docs/adr/0015):
a resident's own change shows at once, what the replica does not know yet is asked of the
primary, and a replica held back (``pg_wal_replay_pause()``) stops serving within its bound.
PostgreSQL only: a real replica made by ``pg_basebackup -R``."""

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.lean import ReplicatedLeanReads
from healthcode.db.models import Card
from healthcode.domain.clock import FixedClock
from healthcode.web.app import create_app
from tests.api.test_cards_api import auth
from tests.api.test_code_api import issued
from tests.api.test_declarations_api import HEALTHY

Client = AsyncTestClient[Litestar]
MAX_LAG_S = 1.0
pytestmark = pytest.mark.settings(realname_delay_s=0)


def replica_of(database_url: str, replica_url: str) -> str:
    return make_url(replica_url).set(database=make_url(database_url).database).render_as_string(hide_password=False)


async def replica_connection(url: str) -> asyncpg.Connection:
    """A connection to the test's database on the replica, once the replica has it."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    for _ in range(100):
        try:
            return await asyncpg.connect(dsn)
        except asyncpg.InvalidCatalogNameError:
            await asyncio.sleep(0.1)
    raise AssertionError("the replica never got the test's database")


@pytest.fixture
async def replica(database_url: str, replica_url: str) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    url = replica_of(database_url, replica_url)
    connection = await replica_connection(url)
    try:
        yield url, connection
    finally:
        await connection.execute("SELECT pg_wal_replay_resume()")
        await connection.close()


@pytest.fixture
async def reading(
    settings: Settings, clock: FixedClock, redis_url: str, replica: tuple[str, asyncpg.Connection]
) -> AsyncIterator[Client]:
    """A server whose code display reads the replica."""
    replicated = settings.model_copy(
        update={"database_replica_urls": [replica[0]], "redis_url": redis_url, "replica_max_lag_s": MAX_LAG_S}
    )
    async with AsyncTestClient(app=create_app(replicated, clock=clock)) as client:
        yield client


def lean(client: Client) -> ReplicatedLeanReads:
    reads = client.app.state["hc"].lean
    assert isinstance(reads, ReplicatedLeanReads)
    return reads


async def caught_up(replica: asyncpg.Connection, card: str, sessions: int) -> None:
    """Wait until the replica has the card's first colour and every session so far."""
    for _ in range(100):
        colour = await replica.fetchval("SELECT colour FROM cards WHERE public_id = $1", card)
        if colour is not None and await replica.fetchval("SELECT count(*) FROM auth_sessions") == sessions:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the replica did not catch up")


async def until(condition: "object", seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the bound"
        await asyncio.sleep(0.05)


async def test_own_changes_at_once_others_within_the_bound(
    reading: Client, db: AsyncSession, settings: Settings, clock: FixedClock, replica: tuple[str, asyncpg.Connection]
) -> None:
    headers, card = await issued(reading, db, settings, clock)
    clock.advance(seconds=61)  # another login code may be sent
    other_device = await auth(reading, db)
    reads = lean(reading)
    await caught_up(replica[1], card, sessions=2)
    await until(lambda: reads.fresh)
    served: list[str] = []
    replica_read = reads.fresh[0].fetchrow

    async def counted(sql: str, *args: object) -> object:
        served.append(sql)
        return await replica_read(sql, *args)

    reads.fresh[0].fetchrow = counted  # type: ignore[method-assign]
    shown = await reading.get(f"/api/v1/cards/{card}/code", headers=other_device)
    assert (shown.status_code, shown.json()["colour"]) == (200, "green")
    assert served, "the display was read from the replica"

    await replica[1].execute("SELECT pg_wal_replay_pause()")
    fever = {**HEALTHY, "temperature": 38.6}
    assert (await reading.post(f"/api/v1/cards/{card}/declarations", json=fever, headers=headers)).status_code == 201
    mine = await reading.get(f"/api/v1/cards/{card}/code", headers=headers)
    assert mine.json()["colour"] == "yellow", "a resident's own change shows at once"

    await db.execute(update(Card).where(Card.public_id == card).values(colour="red"))  # as a recode would
    await db.commit()
    started = time.monotonic()

    async def other_sees_red() -> bool:
        answer = await reading.get(f"/api/v1/cards/{card}/code", headers=other_device)
        return bool(answer.json()["colour"] == "red")

    while not await other_sees_red():
        assert time.monotonic() - started < MAX_LAG_S + 2, "a held-back replica stops serving within its bound"
        await asyncio.sleep(0.1)
    assert not reads.fresh, "the held-back replica is left out"


async def test_a_new_login_is_found_before_the_replica_has_it(
    reading: Client, db: AsyncSession, settings: Settings, clock: FixedClock, replica: tuple[str, asyncpg.Connection]
) -> None:
    _, card = await issued(reading, db, settings, clock)
    await caught_up(replica[1], card, sessions=1)
    await until(lambda: lean(reading).fresh)
    await replica[1].execute("SELECT pg_wal_replay_pause()")
    clock.advance(seconds=61)
    new_device = await auth(reading, db)
    shown = await reading.get(f"/api/v1/cards/{card}/code", headers=new_device)
    assert (shown.status_code, shown.json()["colour"]) == (200, "green")


async def test_a_parameter_the_database_refuses_leaves_the_replica_serving(
    database_url: str, replica: tuple[str, asyncpg.Connection]
) -> None:
    """One request's text with a NUL is that request's error, not a replica's failure: the
    replica keeps serving the others (it was left out until the next probe)."""
    dsn = lambda url: make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)  # noqa: E731
    reads = ReplicatedLeanReads(dsn(database_url), 2, [dsn(replica[0])], MAX_LAG_S)
    try:
        for _ in range(100):
            await reads.probe(time.monotonic())
            if reads.fresh:
                break
            await asyncio.sleep(0.05)
        assert reads.fresh, "the replica serves"
        with pytest.raises(asyncpg.CharacterNotInRepertoireError):
            await reads.fetchrow_from_replica("SELECT $1::text", "a\x00b")
        assert reads.fresh, "and still serves"
        assert tuple(await reads.fetchrow_from_replica("SELECT $1::text", "ab") or ()) == ("ab",)
    finally:
        await reads.close()
