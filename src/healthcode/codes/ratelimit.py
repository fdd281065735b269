"""A per-client rate limit: GCRA (the generic cell rate algorithm), kept in process memory, or in
Redis when ``HEALTHCODE_REDIS_URL`` is set so that every server shares it.

Why not Litestar's ``RateLimitConfig``: its middleware keeps, per client, a list of every request's
timestamp in the window and JSON-encodes and decodes that list through a store on every request
(600 numbers per verification at the default limit), holds one lock for all clients, sends no
``Retry-After`` and its rate is fixed when the router is built, before settings are known. The
``limits`` package is not a dependency of this project. GCRA keeps one float per client, answers in
O(1) and says exactly when the next request will pass.

It allows ``rate`` requests per ``period`` seconds, in a burst of up to ``rate`` at once, then one
every ``period / rate`` seconds. In memory the limit is per process: with several workers a client
may get up to that many times the rate. In Redis a script keeps the same state for every process of
every server, one call for the requests a process counts together (:class:`healthcode.batching.Batcher`:
those that arrive while the previous call is on its way); if Redis cannot be reached, the process
falls back to its own memory (a verification is never refused because the limiter is down) and
logs it.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthcode.batching import Batcher, Seldom

log = logging.getLogger("healthcode.codes")

MAX_CLIENTS = 100_000
"""Clients remembered at once; past this, clients whose allowance is full again are forgotten."""


class Limiter(Protocol):
    """Counts one request of ``key`` at ``now`` (seconds): 0 if it may pass, else seconds to wait."""

    async def hit(self, key: str, now: float) -> int: ...


class RateLimiter:
    """``rate`` requests per ``period`` seconds per key, in this process's memory; times are
    seconds from any fixed origin."""

    def __init__(self, rate: int, period: float = 60.0):
        if rate < 1 or period <= 0:
            raise ValueError("rate must be at least 1 and period positive")
        self.interval = period / rate
        self.burst = period - self.interval  # how far ahead of now a client's schedule may run
        self._tat: dict[str, float] = {}  # theoretical arrival time of each client's next request

    async def hit(self, key: str, now: float) -> int:
        """Count one request of ``key`` at ``now``: 0 if it may pass, else the seconds to wait."""
        return self.hit_now(key, now)

    def hit_now(self, key: str, now: float) -> int:
        """:meth:`hit`, without the coroutine."""
        tat = max(self._tat.get(key, now), now)
        if tat - now > self.burst:
            return max(1, math.ceil(tat - self.burst - now))
        if len(self._tat) >= MAX_CLIENTS and key not in self._tat:
            self._forget(now)
        self._tat[key] = tat + self.interval
        return 0

    def _forget(self, now: float) -> None:
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}
        if len(self._tat) >= MAX_CLIENTS:  # all busy: start afresh rather than grow without bound
            self._tat.clear()


# KEYS the clients' keys, one per request counted (a key may come more than once); ARGV interval
# and burst in seconds, then each request's time. The same arithmetic as RateLimiter.hit_now,
# request after request, atomic in Redis; a key expires once the client's allowance is full again.
_GCRA = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local waits = {}
for i, key in ipairs(KEYS) do
  local now = tonumber(ARGV[i + 2])
  local tat = math.max(tonumber(redis.call('GET', key) or ARGV[i + 2]), now)
  if tat - now > burst then
    waits[i] = math.max(1, math.ceil(tat - burst - now))
  else
    redis.call('SET', key, tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000))
    waits[i] = 0
  end
end
return waits
"""


class SharedRateLimiter:
    """:class:`RateLimiter`'s limit kept in Redis under ``prefix``: shared by every process."""

    def __init__(self, redis: Redis, prefix: str, rate: int, period: float = 60.0):
        self.local = RateLimiter(rate, period)
        self.prefix = prefix
        self.script: Any = redis.register_script(_GCRA)
        self._warning = Seldom()
        self._batcher: Batcher[tuple[str, float], int] = Batcher(self._count, self._count_here, (RedisError, OSError))

    async def hit(self, key: str, now: float) -> int:
        return await self._batcher((key, now))

    async def _count(self, hits: list[tuple[str, float]]) -> list[int]:
        local = self.local
        keys = [self.prefix + key for key, _ in hits]
        times = [repr(now) for _, now in hits]
        waits = await self.script(keys=keys, args=[repr(local.interval), repr(local.burst), *times])
        return [int(wait) for wait in waits]

    def _count_here(self, hit: tuple[str, float], error: BaseException) -> int:
        key, now = hit
        if self._warning.due(now):
            log.warning("rate limit kept in this process: Redis is unreachable (%s)", error)
        return self.local.hit_now(key, now)
