"""Graceful overload: each worker bounds the requests it works on at once and, past its bounds,
refuses what matters least first (DESIGN.md "Running on many machines").

Requests fall in tiers by what they are for. With ``HEALTHCODE_MAX_IN_FLIGHT`` = N requests in
flight in this worker:

- from 60 % of N, every page and call but the ones below is refused;
- from 85 %, verification (``POST /api/v1/verifications``) and the checkpoint desk's scans too;
- at N, code display itself (the code endpoint and the code page): it sheds last;
- health checks and static files are never refused (a balancer must see a busy node as alive,
  and the refusal page needs its stylesheet).

A refusal is a 503 with ``Retry-After`` (a few seconds, spread so that refused clients do not all
come back at once) and the platform's one error shape, in the request's language: JSON for the
API, a page with the hotline for people. It costs no database work.
"""

from __future__ import annotations

import random
import re
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


SHARE = {Tier.OTHER: 0.60, Tier.CHECKING: 0.85, Tier.SHOWING: 1.0}
"""The share of the bound at which each tier starts to be refused."""
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
    """This worker's requests in flight, and where each tier's refusals start."""

    bound: int
    in_flight: int = 0

    def admits(self, tier: Tier) -> bool:
        return self.in_flight < self.bound * SHARE[tier]


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
