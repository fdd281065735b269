"""With ``HEALTHCODE_REDIS_URL`` every server counts a client's verifications together (a real
``redis-server``); without it each process counts its own; with Redis gone, verification goes on
with the process's own count. Two apps on one database stand for two servers."""

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.web.app import create_app
from tests.api.test_verifications import URL, signing_key
from tests.integration.test_keys import token_for

Client = AsyncTestClient[Litestar]
RATE = 4


@contextlib.asynccontextmanager
async def servers(settings: Settings, clock: FixedClock, redis_url: str) -> AsyncIterator[tuple[Client, Client]]:
    """Two servers of one cluster, with a low verification limit."""
    shared = settings.model_copy(update={"redis_url": redis_url, "verify_rate_per_minute": RATE})
    async with (
        AsyncTestClient(app=create_app(shared, clock=clock)) as first,
        AsyncTestClient(app=create_app(shared, clock=clock)) as second,
    ):
        yield first, second


async def passed(first: Client, second: Client, token: str) -> list[int]:
    """Statuses of RATE + 2 verifications from one client, alternating between the servers."""
    return [(await (first, second)[n % 2].post(URL, json={"token": token})).status_code for n in range(RATE + 2)]


@pytest.fixture(autouse=True)
def distinct_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client address of this test's own: the Redis server outlives one test."""
    address = f"client-{uuid.uuid4()}"
    monkeypatch.setattr("healthcode.codes.api.client_ip", lambda request, networks: address)


async def test_every_server_counts_a_client_together(
    db: AsyncSession, settings: Settings, clock: FixedClock, redis_url: str
) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    async with servers(settings, clock, redis_url) as (first, second):
        assert await passed(first, second, token) == [200] * RATE + [429, 429]


async def test_without_redis_each_server_counts_its_own(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    async with servers(settings, clock, "") as (first, second):
        assert await passed(first, second, token) == [200] * (RATE + 2)


async def test_verification_goes_on_when_redis_is_gone(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    async with servers(settings, clock, "redis://127.0.0.1:9/0") as (first, _):  # nothing listens there
        statuses = [(await first.post(URL, json={"token": token})).status_code for _ in range(RATE + 1)]
        assert statuses == [200] * RATE + [429], "the process's own count still limits"


async def test_a_limiter_without_redis_says_so_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """Falling back to memory is logged, but not once per verification."""
    from redis.asyncio import Redis

    from healthcode.codes.ratelimit import SharedRateLimiter

    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = SharedRateLimiter(gone, "hc:test:", rate=100)
    with caplog.at_level("WARNING", logger="healthcode.codes"):
        for second in (0.0, 1.0, 30.0, 61.0):
            assert await limiter.hit("client", second) == 0
    await gone.aclose()
    assert [r.getMessage().startswith("rate limit kept in this process") for r in caplog.records] == [True, True]


async def test_requests_counted_together_are_counted_one_by_one(redis_url: str) -> None:
    """Verifications arriving at once share one script call, and each is counted as if alone:
    the first RATE of a client pass, in the order they came, and another client is not touched."""
    import asyncio

    from redis.asyncio import Redis

    from healthcode.codes.ratelimit import SharedRateLimiter

    redis = Redis.from_url(redis_url)
    limiter = SharedRateLimiter(redis, f"hc:test:{uuid.uuid4()}:", rate=RATE)
    calls: list[int] = []
    count = limiter._count

    async def counted(hits: list[tuple[str, float]]) -> list[int]:
        calls.append(len(hits))
        return await count(hits)

    limiter._batcher.ask = counted
    try:
        hits = [("busy", 100.0 + n / 1000) for n in range(RATE + 3)] + [("other", 100.0)]
        waits = await asyncio.gather(*(limiter.hit(key, now) for key, now in hits))
    finally:
        await redis.aclose()
    assert list(waits[:RATE]) == [0] * RATE
    assert all(wait >= 1 for wait in waits[RATE:-1]), waits
    assert waits[-1] == 0, "another client's allowance is its own"
    assert calls == [len(hits)], "one script call for requests that came together"
