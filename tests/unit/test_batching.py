"""Many callers, one round trip (healthcode.batching): callers that ask together share a
question; a failed question answers each of them with the fallback, or raises its error to each
without one, and the next still asks."""

import asyncio

import pytest

from healthcode.batching import Batcher


async def test_callers_asking_together_share_one_question_and_get_their_own_answers() -> None:
    asked: list[list[int]] = []

    async def ask(items: list[int]) -> list[int]:
        asked.append(items)
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(ask, lambda item, error: -1, (OSError,))
    assert list(await asyncio.gather(*(batcher(n) for n in range(5)))) == [0, 10, 20, 30, 40]
    assert asked == [[0, 1, 2, 3, 4]]
    assert await batcher(7) == 70, "alone, a caller is its own batch"


async def test_a_failed_question_answers_every_caller_with_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    failures = [OSError("down"), ValueError("unexpected")]

    async def ask(items: list[str]) -> list[str]:
        if failures:
            raise failures.pop(0)
        return [item.upper() for item in items]

    batcher: Batcher[str, str] = Batcher(ask, lambda item, error: f"{item}:{type(error).__name__}", (OSError,))
    assert list(await asyncio.gather(batcher("a"), batcher("b"))) == ["a:OSError", "b:OSError"]
    with caplog.at_level("ERROR", logger="healthcode"):
        assert await batcher("c") == "c:ValueError"
    assert "a batched question failed" in caplog.text, "an unexpected failure is logged"
    assert await batcher("d") == "D", "and the next question is asked"


async def test_without_a_fallback_each_caller_gets_the_error_and_the_next_still_asks() -> None:
    failures = [LookupError("gone")]

    async def ask(items: list[str]) -> list[str]:
        await asyncio.sleep(0)
        if failures:
            raise failures.pop(0)
        return [item * 2 for item in items]

    batcher: Batcher[str, str] = Batcher(ask)
    answers = await asyncio.gather(batcher("a"), batcher("b"), return_exceptions=True)
    assert [type(answer) for answer in answers] == [LookupError, LookupError]
    assert await batcher("c") == "cc"


async def test_callers_of_a_cancelled_question_are_cancelled_too() -> None:
    started = asyncio.Event()

    async def ask(items: list[str]) -> list[str]:
        started.set()
        await asyncio.sleep(10)
        return items

    batcher: Batcher[str, str] = Batcher(ask)
    waiting = asyncio.gather(batcher("a"), batcher("b"), return_exceptions=True)
    await started.wait()
    assert batcher._asking is not None
    batcher._asking.cancel()
    assert [type(answer) for answer in await waiting] == [asyncio.CancelledError, asyncio.CancelledError]


async def test_an_answer_that_is_an_error_is_raised_to_its_caller_alone() -> None:
    async def ask(items: list[int]) -> list[int | BaseException]:
        return [ValueError(item) if item < 0 else item for item in items]

    batcher: Batcher[int, int] = Batcher(ask)
    answers = await asyncio.gather(batcher(1), batcher(-2), batcher(3), return_exceptions=True)
    assert list(answers[0::2]) == [1, 3]
    assert isinstance(answers[1], ValueError)
