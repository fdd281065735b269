"""A resident reads their own changes at once, even where code display reads from replicas.

With ``HEALTHCODE_DATABASE_REPLICA_URLS``, after a resident's session changes something (any
request but GET, HEAD and OPTIONS answered below 400), every server is told through Redis, for
as long as a replica may lag (``HEALTHCODE_REPLICA_MAX_LAG_S`` and one probe): that session's
code display reads the primary meanwhile (:class:`ChangedLately`, which asks Redis for many
displays at once). A declaration shows its colour at once; what others change (a recode, a link
ended by the card's owner) reaches a replica's reader within that same bound. Without replicas
this does nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthcode.batching import Batcher, Seldom
from healthcode.db.lean import REPLICA_PROBE_S
from healthcode.kit.deps import RESIDENT_COOKIE, bearer_or_cookie
from healthcode.kit.state import AppContext
from healthcode.sessions.service import token_hash

log = logging.getLogger("healthcode.web")
PREFIX = "hc:changed:"
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class ChangedLately:
    """Whether the session whose token hashes to a digest changed something within a replica's
    bound, asked of Redis in batches (:class:`~healthcode.batching.Batcher`, one ``MGET`` for the
    displays that ask together). Each answer is Redis's at the moment of asking, as one ``EXISTS``
    per display would be; a Redis that cannot be reached answers yes (the primary is always
    right)."""

    def __init__(self, redis: Redis):
        self.redis = redis
        self._batcher: Batcher[str, bool] = Batcher(self._ask, self._read_the_primary, (RedisError, OSError))
        self._warning = Seldom()

    async def __call__(self, digest: str) -> bool:
        return await self._batcher(digest)

    async def _ask(self, digests: list[str]) -> list[bool]:
        values = await self.redis.mget([PREFIX + digest for digest in digests])
        return [value is not None for value in values]

    def _read_the_primary(self, digest: str, error: BaseException) -> bool:
        if self._warning.due(time.monotonic()):
            log.warning("could not ask Redis for own changes, reading the primary: %s", error)
        return True


def _replicas_redis(context: AppContext) -> Redis | None:
    """Redis where replicas serve the display (the settings require it with them), else None."""
    return context.redis if context.settings.database_replica_urls else None


def own_changes_check(context: AppContext) -> Callable[[str], Awaitable[bool]] | None:
    """What the code display asks before it reads a replica, or None without replicas."""
    redis = _replicas_redis(context)
    return None if redis is None else ChangedLately(redis)


def own_changes_middleware(context: AppContext) -> list[Any]:
    """The middleware noting, in Redis, the sessions that have just changed something: one where
    replicas serve the display, none otherwise."""
    redis = _replicas_redis(context)
    if redis is None:
        return []
    remember_ms = math.ceil((context.settings.replica_max_lag_s + REPLICA_PROBE_S) * 1000)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope.get("method") in READS:
                await app(scope, receive, send)
                return
            token = bearer_or_cookie(Request(scope), RESIDENT_COOKIE)
            if not token:
                await app(scope, receive, send)
                return

            async def noting(message: Message) -> None:
                # before the answer leaves: the resident's next request may reach another server
                if message["type"] == "http.response.start" and int(message["status"]) < 400:
                    try:
                        await redis.set(PREFIX + token_hash(token), 1, px=remember_ms)
                    except (RedisError, OSError) as error:
                        log.warning("could not note a change for the replicas' readers: %s", error)
                await send(message)

            await app(scope, receive, noting)

        return middleware

    return [factory]
