"""Issue 4's figure: import a 100,000-row case list against 100,000 cards and recolour everyone
concerned (parse, check every row, insert the entries, evaluate the rules for each card, store the
colour and queue an SMS per changed card) — in one transaction, as the service does it.

Run with ``make bench`` (SQLite file) or, against PostgreSQL, with
``scripts/pg-test-server .venv/bin/pytest benchmarks/test_bench_list_import.py --benchmark-only``.
``HEALTHCODE_BENCH_ROWS`` makes it smaller for a quick look.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.listgen import case_list_csv
from benchmarks.population import populate
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.migrate import upgrade
from healthcode.domain.clock import SystemClock
from healthcode.lists.service import make_list_import_service

ROWS = int(os.environ.get("HEALTHCODE_BENCH_ROWS", "100000"))


def database_url(tmp_path: Path) -> str:
    if os.environ.get("HEALTHCODE_TEST_DB") == "postgresql":
        import psycopg

        base = os.environ["HEALTHCODE_TEST_POSTGRES_URL"]
        with psycopg.connect(base.replace("+asyncpg", ""), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS hc_bench")
            conn.execute("CREATE DATABASE hc_bench")
        return base.rsplit("/", 1)[0] + "/hc_bench"
    return f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"


async def import_list(settings: Settings, data: bytes) -> dict[str, Any]:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            service = make_list_import_service(db, settings, SystemClock())
            upload = await service.queue("bench", "cases", "cases.csv", data)
            started = time.perf_counter()
            done = await service.run(upload.id)
            return {
                "seconds": time.perf_counter() - started,
                "accepted": done.accepted_rows,
                "recoloured": done.recoloured_cards,
            }
    finally:
        await engine.dispose()


@pytest.mark.benchmark(group="lists")
def test_import_100k_case_list_against_100k_cards(benchmark: Any, tmp_path: Path) -> None:
    settings = Settings(env="test", var_dir=tmp_path / "var", database_url=database_url(tmp_path))
    upgrade(settings.database_url)
    asyncio.run(populate(settings, ROWS))
    data = case_list_csv(ROWS)
    result = benchmark.pedantic(lambda: asyncio.run(import_list(settings, data)), rounds=1, iterations=1)
    accepted, recoloured, seconds = result["accepted"], result["recoloured"], result["seconds"]
    print(f"\n{ROWS} rows, {accepted} accepted, {recoloured} cards recoloured in {seconds:.1f} s")
    assert result["accepted"] == ROWS
    assert result["recoloured"] > 0
