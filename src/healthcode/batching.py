"""Many callers, one round trip: what the hot paths ask of Redis and of PostgreSQL, asked in batches.

A :class:`Batcher` sends one question at a time. Callers that ask while it is on its way wait
together for the next, which carries all their items; each gets its own answer. At low load every
caller is its own batch (no added wait); under load one round trip serves tens of requests, where
one each cost a code display or a verification about 130 us of CPU in the Redis client, and a
database backend woken per display.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("healthcode")
Item = TypeVar("Item")
Answer = TypeVar("Answer")


WARN_EVERY_S = 60.0
"""Least seconds between two warnings that a batch's fallback was taken."""


class Seldom:
    """Whether it is time to warn again: at most once every :data:`WARN_EVERY_S` of the caller's
    clock, so that a fallback taken by every request while Redis is down warns once a minute."""

    def __init__(self) -> None:
        self._last = -math.inf

    def due(self, now: float) -> bool:
        if now - self._last < WARN_EVERY_S:
            return False
        self._last = now
        return True


class Batcher(Generic[Item, Answer]):
    """Answers each item with ``ask`` over a batch of items (one answer per item, in order; an
    answer that is an exception is raised to that item's caller alone). When
    ``ask`` fails, each item of that batch is answered by ``fallback(item, error)`` (an error not
    among the expected ``failures`` is logged with its traceback too), or, without a fallback, each
    caller gets the error raised; every waiting caller gets an answer, even if the batch's task is
    cancelled."""

    def __init__(
        self,
        ask: Callable[[list[Item]], Awaitable[Sequence[Answer | BaseException]]],
        fallback: Callable[[Item, BaseException], Answer] | None = None,
        failures: tuple[type[BaseException], ...] = (),
    ):
        self.ask = ask
        self.fallback = fallback
        self.failures = failures
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._asking: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        if self._asking is None:
            self._asking = asyncio.create_task(self._ask_while_waiting())
        return await answer

    async def _ask_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._answer(batch)
        finally:
            self._asking = None

    async def _answer(self, batch: list[tuple[Item, asyncio.Future[Answer]]]) -> None:
        items = [item for item, _ in batch]
        answers: Sequence[Answer | BaseException] | None = None
        failure: BaseException = asyncio.CancelledError()
        try:
            answers = await self.ask(items)
        except self.failures as error:
            failure = error
        except Exception as error:
            if self.fallback is not None:
                log.exception("a batched question failed; its callers get the fallback")
            failure = error
        finally:
            for index, (item, future) in enumerate(batch):
                if future.done():
                    continue
                if answers is not None:
                    answer = answers[index]
                    if isinstance(answer, BaseException):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
                elif self.fallback is not None:
                    future.set_result(self.fallback(item, failure))
                elif isinstance(failure, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(failure)
