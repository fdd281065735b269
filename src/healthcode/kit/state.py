"""What the running app holds for the life of the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthcode.config import Settings
from healthcode.db.lean import LeanReads
from healthcode.domain.clock import Clock
from healthcode.kit.desks import Desk
from healthcode.kit.overload import Load


@dataclass
class AppContext:
    """Settings, the clock, the database engine and session factory, the lean read path, Redis if
    configured, and the back-office desks the features offer; shared by all requests."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    desks: list[Desk]
    probe_engine: AsyncEngine
    """One connection per readiness probe, outside the pool requests wait on."""
    lean: LeanReads
    """The hot endpoints' one read, on the driver itself (:mod:`healthcode.db.lean`)."""
    load: Load
    """This worker's requests in flight and its bound (:mod:`healthcode.kit.overload`)."""
    redis: Redis | None
    """What every server shares (``HEALTHCODE_REDIS_URL``), or None: each process keeps its own."""
    runtimes: dict[str, Any] = field(default_factory=dict)
    """What each feature keeps for the life of the app, by feature (``make_runtime``)."""
