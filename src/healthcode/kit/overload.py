"""Graceful overload: each worker watches how far behind it runs and, past its bounds, refuses
what matters least first (DESIGN.md "Running on many machines").

Two signs of overload, both per worker process:

- **delay**: how late the event loop runs a timer (measured every :data:`PROBE_S`). Requests that
  have arrived but not started wait in the loop's queue, and nothing else sees them: with the
  lean display path most requests never yield, so they queue rather than pile up in flight;
- **in flight**: requests started and not finished (those waiting on the database).

Requests fall in tiers by what they are for. With ``HEALTHCODE_MAX_DELAY_MS`` = D and
``HEALTHCODE_MAX_IN_FLIGHT`` = N:

- every page and call but the ones below is refused from a delay of 10 % of D or 60 % of N;
- verification (``POST /api/v1/verifications``) and the checkpoint desk, from 30 % of D or 85 % of N;
- code display itself (the code endpoint and the code page) only at D or N: it sheds last;
- health checks and static files are never refused (a balancer must see a busy node as alive,
  and the refusal page needs its stylesheet).

A refusal is a 503 with ``Retry-After`` (a few seconds, spread so that refused clients do not all
come back at once) and the platform's one error shape, in the request's language: JSON for the
API, a page with the hotline for people. It costs no database work.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from healthcode.domain.errors import Unavailable
from healthcode.domain.i18n import N_

RETRY_AFTER_S = (3, 8)
"""Bounds of the Retry-After a refusal carries, chosen at random between them."""
OVERLOADED = N_("Many people are using the service right now. Please try again in a few seconds.")


class Tier(IntEnum):
    """What a request is for, in the order refusals reach it."""

    OTHER = 0
    CHECKING = 1
    SHOWING = 2


IN_FLIGHT_SHARE = {Tier.OTHER: 0.60, Tier.CHECKING: 0.85, Tier.SHOWING: 1.0}
DELAY_SHARE = {Tier.OTHER: 0.10, Tier.CHECKING: 0.30, Tier.SHOWING: 1.0}
"""The shares of the bounds at which each tier starts to be refused."""
PROBE_S = 0.02
PROBES = 5
"""The loop's delay is measured every PROBE_S; a worker counts as behind when the last PROBES
measures all were (one long step, a PDF or a password hash, is not a queue)."""
_SHOWING = re.compile(r"^(/api/v1)?/cards/[^/]+/code$")
_NEVER_REFUSED = ("/healthz", "/readyz", "/assets/", "/static/")


def tier_of(method: str, path: str) -> Tier | None:
    """A request's tier, or None for what is never refused."""
    if path.startswith(_NEVER_REFUSED):
        return None
    if method == "GET" and _SHOWING.match(path):
        return Tier.SHOWING
    if (method == "POST" and path == "/api/v1/verifications") or path.startswith("/staff/checkpoint/"):
        return Tier.CHECKING
    return Tier.OTHER


@dataclass
class Load:
    """This worker's requests in flight and the delay of its loop, against their bounds."""

    max_in_flight: int
    max_delay_s: float
    in_flight: int = 0
    delay_s: float = 0.0
    """The least delay of the last :data:`PROBES` probes: a queue that lasts, not one slow step."""

    def admits(self, tier: Tier) -> bool:
        return (
            self.in_flight < self.max_in_flight * IN_FLIGHT_SHARE[tier]
            and self.delay_s < self.max_delay_s * DELAY_SHARE[tier]
        )

    async def watch(self) -> None:
        """Measure the loop's delay for as long as the worker runs (a task of the app's start-up)."""
        loop = asyncio.get_running_loop()
        recent: deque[float] = deque(maxlen=PROBES)
        while True:
            asked = loop.time()
            await asyncio.sleep(PROBE_S)
            recent.append(max(0.0, loop.time() - asked - PROBE_S))
            self.delay_s = min(recent)


def overload_middleware(load: Load) -> Any:
    """A middleware counting the requests in flight and refusing by tier past the bound (inside
    the language middleware, so the refusal speaks the request's language)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            tier = tier_of(str(scope.get("method", "")), scope["path"]) if scope["type"] == ScopeType.HTTP else None
            if tier is None:
                await app(scope, receive, send)
                return
            if not load.admits(tier):
                raise Unavailable("overloaded", OVERLOADED, retry_after=random.randint(*RETRY_AFTER_S))  # noqa: S311
            load.in_flight += 1
            try:
                await app(scope, receive, send)
            finally:
                load.in_flight -= 1

        return middleware

    return factory
