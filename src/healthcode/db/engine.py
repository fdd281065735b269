"""Creating the async engine and session factory from settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner alone (SQLite gives its journal and WAL files
    the database file's permissions), unless it exists already."""
    if path.parent.is_dir() and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


POOL_WAIT_S = 5
"""Longest a request waits for a pooled connection before it is answered 503 (not 30 s and a 500)."""


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout so several
    workers can share one file."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        if ":memory:" not in url and not url.endswith("://"):
            _private_file(Path(url.split(":///", 1)[1]))
        if ":memory:" not in url and not url.endswith("://") and "poolclass" not in kwargs:
            # Each aiosqlite connection is a thread: a larger steady pool, so that load does not
            # keep opening and closing overflow connections (a thread and three PRAGMAs each).
            kwargs.setdefault("pool_size", 16)
            kwargs.setdefault("max_overflow", 8)
            kwargs.setdefault("pool_timeout", POOL_WAIT_S)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_timeout", POOL_WAIT_S)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
