"""``healthcode worker`` as operators run it: killed with SIGKILL in the middle of a list import,
another worker finishes the import exactly once; SIGTERM stops a worker at once."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from benchmarks import listgen
from sqlalchemy import func, select

from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.models import ListEntry, ListImport
from healthcode.domain.clock import SystemClock
from healthcode.lists.service import make_list_import_service

pytestmark = pytest.mark.slow
ROWS = 150_000
LEASE_S = 10
HEALTHCODE = str(Path(sys.executable).parent / "healthcode")
State = tuple[str, int, int, int]
"""An import's status, rows checked so far, runs started, and list entries in the database."""


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HEALTHCODE_ENV": "test",
        "HEALTHCODE_DATABASE_URL": database_url,
        "HEALTHCODE_VAR_DIR": str(tmp_path / "var"),
        "HEALTHCODE_JOBS_INTERVAL_S": "1",
        "HEALTHCODE_JOB_LEASE_S": str(LEASE_S),
    }


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(env="test", database_url=env["HEALTHCODE_DATABASE_URL"], var_dir=Path(env["HEALTHCODE_VAR_DIR"]))


async def _queue(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            service = make_list_import_service(db, settings, SystemClock())
            upload = await service.queue("test", "cases", "cases.csv", listgen.case_list_csv(ROWS))
            return upload.id
    finally:
        await engine.dispose()


async def _state(settings: Settings, import_id: int) -> State:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            upload = await db.get(ListImport, import_id)
            assert upload is not None
            entries = await db.scalar(select(func.count()).select_from(ListEntry))
            return upload.status, upload.processed_rows, upload.attempts, int(entries or 0)
    finally:
        await engine.dispose()


def wait_for(settings: Settings, import_id: int, done: Callable[[State], bool], seconds: float) -> State:
    """The import's state once ``done`` holds of it (polled), or a failure after ``seconds``."""
    state: State = ("", 0, 0, 0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = asyncio.run(_state(settings, import_id))
        if done(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"import {import_id} still {state} after {seconds} s")


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([HEALTHCODE, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_an_import_whose_worker_is_killed_is_finished_once_by_another(env: dict[str, str]) -> None:
    settings = settings_of(env)
    subprocess.run([HEALTHCODE, "db", "upgrade"], env=env, check=True, capture_output=True)
    import_id = asyncio.run(_queue(settings))
    first = start_worker(env)
    try:
        wait_for(settings, import_id, lambda s: s[0] == "running" and s[1] > 0, 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    killed = asyncio.run(_state(settings, import_id))
    assert killed[0] == "running", "killed mid-way"
    assert killed[3] == 0, "nothing applied before the end"

    second = start_worker(env)
    try:
        status, _, attempts, entries = wait_for(settings, import_id, lambda s: s[0] != "running", 60 + LEASE_S)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0, "SIGTERM stops a worker cleanly"
    assert (status, attempts, entries) == ("done", 2, ROWS)
