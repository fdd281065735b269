"""A per-client rate limit kept in process memory: GCRA (the generic cell rate algorithm).

Why not Litestar's ``RateLimitConfig``: its middleware keeps, per client, a list of every request's
timestamp in the window and JSON-encodes and decodes that list through a store on every request
(600 numbers per verification at the default limit), holds one lock for all clients, sends no
``Retry-After`` and its rate is fixed when the router is built, before settings are known. The
``limits`` package is not a dependency of this project. GCRA keeps one float per client, answers in
O(1) and says exactly when the next request will pass.

It allows ``rate`` requests per ``period`` seconds, in a burst of up to ``rate`` at once, then one
every ``period / rate`` seconds. The limit is per process: with several workers a client may get
up to that many times the rate (each worker's share of its requests is limited on its own).
"""

from __future__ import annotations

import math

MAX_CLIENTS = 100_000
"""Clients remembered at once; past this, clients whose allowance is full again are forgotten."""


class RateLimiter:
    """``rate`` requests per ``period`` seconds per key; times are seconds from any fixed origin."""

    def __init__(self, rate: int, period: float = 60.0):
        if rate < 1 or period <= 0:
            raise ValueError("rate must be at least 1 and period positive")
        self.interval = period / rate
        self.burst = period - self.interval  # how far ahead of now a client's schedule may run
        self._tat: dict[str, float] = {}  # theoretical arrival time of each client's next request

    def hit(self, key: str, now: float) -> int:
        """Count one request of ``key`` at ``now``: 0 if it may pass, else the seconds to wait."""
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
