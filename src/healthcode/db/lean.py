"""The lean read path: one prepared statement on the database driver itself, for the one read a hot
endpoint makes (DESIGN.md "Where time goes").

An ``AsyncSession`` read costs about 1 ms of CPU (a transaction, ORM and Core layers, a pool
checkout with its pre-ping: six round trips on PostgreSQL); the same row through a prepared
asyncpg statement costs 0.03-0.04 ms and one round trip. :class:`LeanReads` runs a statement
written once in SQL with PostgreSQL's ``$1, $2`` parameters:

- on PostgreSQL through asyncpg connections of its own (``HEALTHCODE_DATABASE_LEAN_CONNECTIONS``
  per process, opened on first need; asyncpg prepares each statement once per connection), the
  reads of one statement that arrive together in one statement over arrays of their parameters
  (:func:`batched_statement`: one backend woken for tens of displays);
- on SQLite through one connection of the standard ``sqlite3`` module, read-only and in
  autocommit, on the event loop's own thread: an indexed read of a WAL database takes tens of
  microseconds, less than handing it to aiosqlite's thread and back.

Each call reads the latest committed state (a batched read, the state when its batch's statement
runs, after the call): there is no cache here. Only reads go this way;
everything that writes uses the ORM session.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from healthcode.batching import Batcher
from healthcode.db.engine import POOL_WAIT_S

log = logging.getLogger("healthcode.db")
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 5.0
"""A lean read is one indexed row: past these, the database is in trouble and the request fails."""
SQLITE_BUSY_S = 2.0
"""How long a lean SQLite read waits on a lock (WAL readers wait only while the file recovers)."""

GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}
"""A lean statement is a few index reads whatever its parameters: planned once per connection, not
per batch (PostgreSQL plans a statement over arrays afresh each time by default: 70-80 us of its
CPU per batch measured here)."""
_DOLLAR = re.compile(r"\$(\d+)")
LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    ConnectionError,
    asyncpg.exceptions.InternalClientError,
)
"""What a read on a connection the database no longer holds raises. The last: the database's
notice that it ended the session arrived, its closing of the socket not yet ("cannot switch to
state ...; another operation is in progress")."""
FAILED = (*LOST, OSError, asyncpg.PostgresError)
"""What a read of a database that is down, restarting or refusing raises (timeouts included): a
connection lost again on the read's second try among them."""


class LeanReads(Protocol):
    """Runs one statement and returns its first row (a tuple-like record), or None."""

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """From the primary: what was last committed."""
        ...

    async def fetchrow_from_replica(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """From a replica no further behind than its bound, or the primary when there is none."""
        ...

    async def watch(self) -> None:
        """Keep track of the replicas for as long as the process runs (a task of its start-up)."""
        ...

    async def close(self) -> None: ...


class _Primary:
    """What a lean read path without replicas does for the replicas' calls."""

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        raise NotImplementedError

    async def fetchrow_from_replica(self, sql: str, *args: Any) -> Sequence[Any] | None:
        return await self.fetchrow(sql, *args)

    async def watch(self) -> None:
        return None


class SqliteLeanReads(_Primary):
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
    """Parameters as the ORM stores them on SQLite: datetimes as naive UTC text, microseconds
    always written (the clock's datetimes are in UTC already: converting one costs more than
    checking)."""
    if isinstance(value, datetime):
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


class AsyncpgLeanReads(_Primary):
    """Lean reads of PostgreSQL through ``size`` asyncpg connections of this process, each opened
    on first need and kept. A read holds one from its query until the event loop takes the answer.
    Reads of one statement that arrive together share one (:meth:`fetchrow`), so under load a
    process keeps few busy; the connections beyond serve reads of other statements, and reads whose
    statement has no parameters, which are not batched.

    A queue of slots rather than ``asyncpg.Pool``: the pool's acquire and release cost 77 us of
    CPU per read here against 31 us for a queue of connections (measured on this machine), and a
    lean read needs none of what the pool adds (per-connection reset, inactivity timers). A slot
    holds an open connection, or None until one is needed; a connection whose read failed or was
    cancelled is dropped and replaced the same way, so a restarted database costs one failed read
    per connection.
    """

    def __init__(self, dsn: str, size: int):
        self.dsn = dsn
        self._slots: asyncio.Queue[Any] = asyncio.LifoQueue()  # the last used first: few kept busy and warm
        for _ in range(size):
            self._slots.put_nowait(None)
        self._batchers: dict[str, Batcher[tuple[Any, ...], Sequence[Any] | None]] = {}
        self._batched: dict[str, str] = {}

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        """The statement's first row. Reads of one statement that arrive while another is on its
        way go together in the next (:class:`~healthcode.batching.Batcher`): one statement and one
        round trip for all of them (:meth:`_fetch_batch`)."""
        if not args:
            return await self._read(sql, args)
        batcher = self._batchers.get(sql)
        if batcher is None:
            batcher = self._batchers[sql] = Batcher(lambda batch: self._fetch_batch(sql, batch))
        return await batcher(args)

    async def _fetch_batch(self, sql: str, batch: list[tuple[Any, ...]]) -> list[Sequence[Any] | BaseException | None]:
        """Each item's first row: alone, the statement itself; together, the statement once per
        item of the arrays of their parameters (:func:`batched_statement`). When the database
        refuses a batch's parameters (a NUL or a lone surrogate in one request's text), each item
        is read alone, so that only the item at fault fails."""
        if len(batch) == 1:
            return [await self._alone(sql, batch[0])]
        try:
            rows = await self._on_a_connection(lambda connection: self._fetch_each(connection, sql, batch))
        except asyncpg.DataError:
            return [await self._alone(sql, item) for item in batch]
        found: list[Sequence[Any] | BaseException | None] = [None] * len(batch)
        for row in rows:
            if found[row[0] - 1] is None:  # the first, as fetchrow's
                found[row[0] - 1] = row[1:]
        return found

    async def _alone(self, sql: str, item: tuple[Any, ...]) -> Sequence[Any] | BaseException | None:
        """One item's read; a parameter the database refuses is its own answer, raised to its caller."""
        try:
            return await self._read(sql, item)
        except asyncpg.DataError as error:
            refused: BaseException = error
            return refused

    async def _read(self, sql: str, args: tuple[Any, ...]) -> Sequence[Any] | None:
        row: Sequence[Any] | None = await self._on_a_connection(lambda connection: connection.fetchrow(sql, *args))
        return row

    async def _fetch_each(self, connection: Any, sql: str, batch: list[tuple[Any, ...]]) -> list[Any]:
        batched = self._batched.get(sql)
        if batched is None:
            parameters = (await connection.prepare(sql)).get_parameters()
            batched = self._batched[sql] = batched_statement(sql, [f"{p.schema}.{p.name}" for p in parameters])
        rows: list[Any] = await connection.fetch(batched, *(list(column) for column in zip(*batch, strict=True)))
        return rows

    async def _on_a_connection(self, read: Callable[[Any], Awaitable[Any]]) -> Any:
        try:
            return await self._on_one_connection(read)
        except LOST:  # the database restarted or dropped the connection: once more, on a new one
            return await self._on_one_connection(read)

    async def _on_one_connection(self, read: Callable[[Any], Awaitable[Any]]) -> Any:
        connection = await asyncio.wait_for(self._slots.get(), POOL_WAIT_S)
        kept = None  # a connection goes back to its slot only after a read that ended well
        try:
            if connection is None or connection.is_closed():
                connection = None
                connection = await asyncpg.connect(
                    self.dsn, timeout=CONNECT_TIMEOUT_S, command_timeout=READ_TIMEOUT_S, server_settings=GENERIC_PLANS
                )
            answer = await read(connection)
            kept = connection
            return answer
        finally:
            if kept is None and connection is not None:  # failed or cancelled half-way: not reused
                connection.terminate()
            self._slots.put_nowait(kept)

    async def close(self) -> None:
        while not self._slots.empty():
            connection = self._slots.get_nowait()
            if connection is not None:
                await connection.close()


def batched_statement(sql: str, types: Sequence[str]) -> str:
    """``sql`` (one row for its parameters ``$1``..``$n`` of these types) run for every item of
    arrays of them: ``$k`` is the array of the items' k-th parameters. Each row comes with the
    1-based position of its item first; an item without a row has none. PostgreSQL plans it as one
    loop over the items doing the statement's own index reads."""
    columns = ", ".join(f"${k}::{kind}[]" for k, kind in enumerate(types, 1))
    names = ", ".join(f"p{k}" for k in range(1, len(types) + 1))
    statement = _DOLLAR.sub(r"_batch.p\1", sql)
    # The code's own statement and the types PostgreSQL gave its parameters: no outside text.
    batched = f"SELECT _batch.i, _row.* FROM unnest({columns}) WITH ORDINALITY AS _batch({names}, i)"  # noqa: S608
    return f"{batched} CROSS JOIN LATERAL ({statement}) AS _row"


PRIMARY_LSN = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
REPLAYED_LSN = "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
REPLICA_PROBE_S = 0.5
"""How often each process compares its replicas' replay with the primary's WAL."""


class ReplicatedLeanReads(AsyncpgLeanReads):
    """The primary's lean reads, and streaming replicas for :meth:`fetchrow_from_replica`.

    Every :data:`REPLICA_PROBE_S` the process notes the primary's WAL position and asks each
    replica how far it has replayed. A replica is used while it has replayed everything the
    primary had written ``max_lag_s`` ago: what it answers is at most ``max_lag_s`` plus one probe
    old. Until the process has watched that long, only a replica that has replayed everything
    qualifies. A replica that fails a read is left out until the next probe finds it well, and the
    read goes to the primary.
    """

    def __init__(self, dsn: str, size: int, replica_dsns: Sequence[str], max_lag_s: float):
        super().__init__(dsn, size)
        self.replicas = [AsyncpgLeanReads(replica, size) for replica in replica_dsns]
        self.max_lag_s = max_lag_s
        self.fresh: list[AsyncpgLeanReads] = []
        self._turn = 0
        self._written: deque[tuple[float, int]] = deque()

    async def fetchrow_from_replica(self, sql: str, *args: Any) -> Sequence[Any] | None:
        if not self.fresh:
            return await self.fetchrow(sql, *args)
        self._turn += 1
        replica = self.fresh[self._turn % len(self.fresh)]
        try:
            return await replica.fetchrow(sql, *args)
        except asyncpg.DataError:
            raise  # the request's own parameters, refused wherever they are read: the replica is well
        except FAILED as error:
            log.warning("replica read failed, reading the primary: %s", error)
            if replica in self.fresh:
                self.fresh.remove(replica)
            return await self.fetchrow(sql, *args)

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.probe(loop.time())
            except Exception as error:  # the primary is down: no replica can be judged fresh
                self.fresh = []
                log.warning("replica probe failed: %s", error)
            await asyncio.sleep(REPLICA_PROBE_S)

    async def probe(self, now: float) -> None:
        """Note the primary's position and keep the replicas that have replayed far enough."""
        row = await self.fetchrow(PRIMARY_LSN)
        if row is None:  # pragma: no cover - the query always answers a row
            return
        self._written.append((now, int(row[0])))
        while len(self._written) > 1 and self._written[1][0] <= now - self.max_lag_s:
            self._written.popleft()
        oldest_time, oldest = self._written[0]
        needed = oldest if oldest_time <= now - self.max_lag_s else self._written[-1][1]
        fresh = []
        for replica in self.replicas:
            try:
                replayed = await replica.fetchrow(REPLAYED_LSN)
            except FAILED:
                continue
            if replayed is not None and replayed[0] is not None and int(replayed[0]) >= needed:
                fresh.append(replica)
        self.fresh = fresh

    async def close(self) -> None:
        await super().close()
        for replica in self.replicas:
            await replica.close()


def lean_datetime(value: datetime | str | None) -> datetime | None:
    """A timestamp column as read: asyncpg gives an aware datetime, SQLite the ORM's naive UTC text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def lean_reads(database_url: str, replica_urls: Sequence[str], max_lag_s: float, size: int) -> LeanReads:
    """The lean read path for ``database_url`` (a SQLite file, or PostgreSQL through asyncpg, with
    ``size`` connections per database) and its replicas, if any."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteLeanReads(url.database)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        if replica_urls:
            return ReplicatedLeanReads(_dsn(database_url), size, [_dsn(replica) for replica in replica_urls], max_lag_s)
        return AsyncpgLeanReads(_dsn(database_url), size)
    raise ValueError(
        "HEALTHCODE_DATABASE_URL must be a SQLite file (sqlite+aiosqlite:///path) "
        "or PostgreSQL through asyncpg (postgresql+asyncpg://...)"
    )


def _dsn(url: str) -> str:
    """asyncpg's form of a ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
