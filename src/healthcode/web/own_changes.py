"""A resident reads their own changes at once, even where code display reads from replicas.

With ``HEALTHCODE_DATABASE_REPLICA_URLS``, after a resident's session changes something (any
request but GET, HEAD and OPTIONS answered below 400), every server is told through Redis, for
as long as a replica may lag (``HEALTHCODE_REPLICA_MAX_LAG_S`` and one probe): that session's
code display reads the primary meanwhile (:func:`changed_lately`). A declaration shows its colour
at once; what others change (a recode, a link ended by the card's owner) reaches a replica's
reader within that same bound. Without replicas this does nothing.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthcode.db.lean import REPLICA_PROBE_S
from healthcode.sessions.service import token_hash
from healthcode.web.deps import RESIDENT_COOKIE
from healthcode.web.state import AppContext

log = logging.getLogger("healthcode.web")
PREFIX = "hc:changed:"
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(scope: Scope) -> str:
    """The resident session a request carries: its bearer token, else its login cookie."""
    cookie = ""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, found = part.strip().partition("=")
                if key == RESIDENT_COOKIE:
                    cookie = found
    return cookie


async def changed_lately(redis: Redis, token: str) -> bool:
    """Whether this session changed something within a replica's bound (a Redis that cannot be
    reached answers yes: the primary is always right)."""
    try:
        return bool(await redis.exists(PREFIX + token_hash(token)))
    except (RedisError, OSError):
        return True


async def reads_primary(context: AppContext, token: str) -> bool:
    """Whether a code display for this session must read the primary: there are no replicas, or
    the session has just changed something."""
    if context.redis is None or not context.settings.database_replica_urls:
        return True
    return await changed_lately(context.redis, token)


def own_changes_middleware(redis: Redis, max_lag_s: float) -> Any:
    """A middleware noting, in Redis, the sessions that have just changed something."""
    remember_ms = math.ceil((max_lag_s + REPLICA_PROBE_S) * 1000)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope.get("method") in READS:
                await app(scope, receive, send)
                return
            token = session_token(scope)
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

    return factory
