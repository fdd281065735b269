"""The replicas' readers ask Redis whose sessions changed something, many displays to a question
(kit/own_changes.py): each display gets Redis's answer for its own session, a Redis that cannot
be reached sends every display to the primary."""

import asyncio

import pytest
from redis.asyncio import Redis

from healthcode.kit.own_changes import PREFIX, ChangedLately


async def test_displays_asking_together_get_their_own_answers_in_few_round_trips(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    asked: list[int] = []
    mget = redis.mget

    async def counted(keys: list[str]) -> list[bytes | str | None]:
        asked.append(len(keys))
        return await mget(keys)

    try:
        await redis.set(PREFIX + "changed", 1, px=60_000)
        changed_lately = ChangedLately(redis)
        changed_lately.redis.mget = counted  # type: ignore[method-assign,assignment]
        digests = ["changed" if n % 10 == 0 else f"quiet-{n}" for n in range(200)]
        answers = await asyncio.gather(*(changed_lately(digest) for digest in digests))
        assert answers == [digest == "changed" for digest in digests]
        assert sum(asked) == len(digests), "every display asked, in one question or two"
        assert len(asked) <= 2, asked
        assert await changed_lately("quiet-1") is False, "and the next display asks again"
        await redis.delete(PREFIX + "changed")
        assert await changed_lately("changed") is False, "an answer is Redis's at the moment of asking"
    finally:
        await redis.aclose()


async def test_a_redis_out_of_reach_sends_every_display_to_the_primary() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        changed_lately = ChangedLately(unreachable)
        assert list(await asyncio.gather(changed_lately("a"), changed_lately("b"))) == [True, True]
    finally:
        await unreachable.aclose()


async def test_a_redis_out_of_reach_is_told_once_not_once_a_display(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        changed_lately = ChangedLately(unreachable)
        with caplog.at_level("WARNING", logger="healthcode.web"):
            for digest in ("a", "b", "c"):  # three questions, each failing
                assert await changed_lately(digest) is True
    finally:
        await unreachable.aclose()
    assert len([r for r in caplog.records if "own changes" in r.getMessage()]) == 1
