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
may get up to that many times the rate. In Redis one script call per request keeps the same state
for every process of every server; if Redis cannot be reached, the process falls back to its own
memory (a verification is never refused because the limiter is down) and logs it.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("healthcode.codes")

WARN_EVERY_S = 60
"""Least seconds between two warnings that Redis is unreachable."""
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


# KEYS[1] the client's key; ARGV now, interval and burst in seconds. The same arithmetic as
# RateLimiter.hit_now, atomic in Redis; the key expires once the client's allowance is full again.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or ARGV[1]), now)
if tat - now > burst then
  return math.max(1, math.ceil(tat - burst - now))
end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000))
return 0
"""


class SharedRateLimiter:
    """:class:`RateLimiter`'s limit kept in Redis under ``prefix``: shared by every process."""

    def __init__(self, redis: Redis, prefix: str, rate: int, period: float = 60.0):
        self.local = RateLimiter(rate, period)
        self.prefix = prefix
        self.script: Any = redis.register_script(_GCRA)
        self._warned_at = -math.inf

    async def hit(self, key: str, now: float) -> int:
        local = self.local
        try:
            wait = await self.script(
                keys=[self.prefix + key], args=[repr(now), repr(local.interval), repr(local.burst)]
            )
        except (RedisError, OSError) as error:
            if now - self._warned_at >= WARN_EVERY_S:  # once a minute, not once a request
                self._warned_at = now
                log.warning("rate limit kept in this process: Redis is unreachable (%s)", error)
            return local.hit_now(key, now)
        return int(wait)
