"""The lean read path: one prepared statement on the database driver itself, for the one read a hot
endpoint makes (DESIGN.md "Where time goes").

An ``AsyncSession`` read costs about 1 ms of CPU (a transaction, ORM and Core layers, a pool
checkout with its pre-ping: six round trips on PostgreSQL); the same row through a prepared
asyncpg statement costs 0.03-0.04 ms and one round trip. :class:`LeanReads` runs a statement
written once in SQL with PostgreSQL's ``$1, $2`` parameters:

- on PostgreSQL through an asyncpg pool of its own (:data:`POOL_SIZE` connections per process,
  made on first use; asyncpg prepares each statement once per connection);
- on SQLite through one connection of the standard ``sqlite3`` module, read-only and in
  autocommit, on the event loop's own thread: an indexed read of a WAL database takes tens of
  microseconds, less than handing it to aiosqlite's thread and back.

Each call reads the latest committed state: there is no cache here. Only reads go this way;
everything that writes uses the ORM session.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.engine import make_url

POOL_SIZE = 8
"""asyncpg connections per process for lean reads: a read holds one for a round trip only."""
SQLITE_BUSY_S = 2.0
"""How long a lean SQLite read waits on a lock (WAL readers wait only while the file recovers)."""

_DOLLAR = re.compile(r"\$(\d+)")


class LeanReads(Protocol):
    """Runs one statement and returns its first row (a tuple-like record), or None."""

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None: ...

    async def close(self) -> None: ...


class SqliteLeanReads:
    """Lean reads of a SQLite file through a read-only ``sqlite3`` connection of this process."""

    def __init__(self, path: str):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._statements: dict[str, str] = {}

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path, timeout=SQLITE_BUSY_S, isolation_level=None, check_same_thread=False, cached_statements=64
            )
            conn.execute("PRAGMA query_only=ON")
            self._conn = conn
        return self._conn

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._statements[sql] = _DOLLAR.sub(r"?\1", sql)
        row: tuple[Any, ...] | None = self._connection().execute(statement, tuple(map(_sqlite_value, args))).fetchone()
        return row

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _sqlite_value(value: Any) -> Any:
    """Parameters as the ORM stores them on SQLite: datetimes as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class AsyncpgLeanReads:
    """Lean reads of PostgreSQL through an asyncpg pool of this process, made on first use."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self._pool: Any = None
        self._opening = asyncio.Lock()

    async def _pool_now(self) -> Any:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=POOL_SIZE)
        return self._pool

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        pool = await self._pool_now()
        row: Sequence[Any] | None = await pool.fetchrow(sql, *args)
        return row

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def lean_reads(database_url: str) -> LeanReads:
    """The lean read path for ``database_url`` (a SQLite file, or PostgreSQL through asyncpg)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteLeanReads(url.database)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        return AsyncpgLeanReads(url.set(drivername="postgresql").render_as_string(hide_password=False))
    raise ValueError(
        "HEALTHCODE_DATABASE_URL must be a SQLite file (sqlite+aiosqlite:///path) "
        "or PostgreSQL through asyncpg (postgresql+asyncpg://...)"
    )
