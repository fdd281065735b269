"""What the running app holds for the life of the process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthcode.config import Settings
from healthcode.domain.clock import Clock


@dataclass
class AppContext:
    """Settings, the clock, and the database engine and session factory, shared by all requests."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
