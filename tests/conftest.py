"""Shared fixtures: settings on a throwaway folder, a migrated database per test, the app.

The database is SQLite unless ``HEALTHCODE_TEST_DB=postgresql``; then every test gets a fresh
PostgreSQL database cloned from a migrated template on the server named by
``HEALTHCODE_TEST_POSTGRES_URL`` (pytest-postgresql's janitor, "noproc" style: the server is
started by ``scripts/pg-test-server``, not by the tests, since initdb refuses to run as root).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.migrate import upgrade
from healthcode.domain.clock import FixedClock
from healthcode.web.app import create_app

BACKEND = os.environ.get("HEALTHCODE_TEST_DB", "sqlite")
PG_URL = os.environ.get("HEALTHCODE_TEST_POSTGRES_URL", "postgresql+asyncpg://hc:hc@127.0.0.1:5433/postgres")
# 10:00 in Hohhot on a Sunday in spring; far from midnight so day-boundary tests move on purpose.
START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that touch the database get the ``db`` marker (the PostgreSQL leg runs only those)."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def migrate(url: str) -> None:
    """Alembic runs its own event loop: keep it off the loop of an async test being set up."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()


def _pg_janitor(dbname: str, template: str | None = None, as_template: bool = False) -> Any:
    from pytest_postgresql.janitor import DatabaseJanitor

    url = make_url(PG_URL)
    return DatabaseJanitor(
        user=url.username or "postgres",
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        password=url.password,
        dbname=dbname,
        template_dbname=template,
        as_template=as_template,
    )


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per run, cloned for each test."""
    if BACKEND == "postgresql":
        name = f"hc_template_{os.getpid()}"
        janitor = _pg_janitor(name, as_template=True)
        janitor.init()
        migrate(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        yield name
        janitor.drop()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if BACKEND == "postgresql":
        name = f"hc_test_{os.getpid()}_{next(_counter)}"
        janitor = _pg_janitor(name, template=template_database)
        janitor.init()
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        janitor.drop()
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Settings:
    """Test settings; a test can override any field with ``@pytest.mark.settings(name=value)``."""
    overrides: dict[str, Any] = {}
    for marker in request.node.iter_markers("settings"):
        overrides = {**marker.kwargs, **overrides}
    # A test's loop also runs the test itself: its steps must not count as overload (the tests of
    # overload set their own bound).
    overrides = {"max_delay_ms": 600_000, **overrides}
    return Settings(env="test", var_dir=tmp_path / "var", database_url=database_url, **overrides)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Litestar:
    """The app with its own engine: the test client may run it on another event loop than the
    test's, and an asyncpg connection belongs to the loop that opened it."""
    return create_app(settings, clock=clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway Debian ``redis-server`` on 127.0.0.1 (no persistence) for the tests that share
    state between servers; skipped where it is not installed, a failure in CI (``.ci/run``
    installs it)."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server not installed (apt-get install redis-server); CI runs these tests")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def replica_url() -> Iterator[str]:
    """A streaming replica of the test PostgreSQL server (``pg_basebackup -R``, started as the
    ``postgres`` user when run as root), for the tests of reads from replicas. Its URL names the
    ``postgres`` database: a test sets its own (the replica follows every database). PostgreSQL
    leg only."""
    if BACKEND != "postgresql":
        pytest.skip("replicas are PostgreSQL's")
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    primary = make_url(PG_URL)
    folder = Path(tempfile.mkdtemp(prefix="hc-replica."))
    folder.chmod(0o755)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pgbin, data = binaries[-1], folder / "data"
    source = ["-h", str(primary.host), "-p", str(primary.port), "-U", str(primary.username)]
    copy = ["-D", str(data), "-R", "-X", "stream", "--checkpoint=fast"]
    subprocess.run([*as_postgres, str(pgbin / "pg_basebackup"), *source, *copy], check=True, capture_output=True)
    start = ["-D", str(data), "-l", str(folder / "log"), "-w", "-o", f"-h 127.0.0.1 -p {port} -k {folder}"]
    subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), *start, "start"], check=True, capture_output=True)
    try:
        yield primary.set(port=port).render_as_string(hide_password=False)
    finally:
        stop = [*as_postgres, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
