"""Serialising work on one key (a phone number, say) across workers."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_key(db: AsyncSession, key: str) -> None:
    """Hold a transaction-scoped lock on ``key`` until the current transaction ends.

    PostgreSQL: an advisory lock. SQLite allows one writer at a time, which is already this.
    """
    if db.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        await db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})
