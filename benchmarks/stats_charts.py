"""The statistics charts at a city's size, on PostgreSQL (``make bench-stats``).

Creates a database on the server named by ``HEALTHCODE_TEST_POSTGRES_URL`` (``make bench-stats``
starts a throwaway one through ``scripts/pg-test-server``), migrates it and fills it in SQL with
``generate_series`` (no ORM): ``--cards`` approved cards (1,000,000) with one declaration and one
application each across nine districts, and ``--scans`` checkpoint scans (10,000,000) over 30
days at ``--sites`` sites. Then it times:

1. the rollup job's first pass (everything counted from the raw rows) and a steady pass (the
   last two days counted again, today's snapshot of colours and queue);
2. every chart's query on the rollups, over the last 30 days, for every region and for one
   district: the median and worst of ``--rounds`` runs; each must answer in 200 ms or less.

Prints a table of figures and exits 1 when a chart is slower than the budget.
"""

# ruff: noqa: S608  (the SQL is built from this script's own numbers and constants)

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from healthcode.config import Settings
from healthcode.db.migrate import upgrade
from healthcode.domain.clock import FixedClock
from healthcode.statistics.filters import Filter
from healthcode.statistics.rollups import Rollups
from healthcode.statistics.service import CHARTS, StatisticsService

BUDGET_MS = 200.0
DISTRICTS = ("150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125")
NOW = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # 12:00 in Hohhot


def fill_statements(cards: int, scans: int, sites: int) -> list[tuple[str, str]]:
    """(what, SQL) to fill the raw tables; times are spread over the 30 days before :data:`NOW`."""
    now = f"timestamptz '{NOW.isoformat()}'"
    regions = "ARRAY[" + ",".join(f"'{code}'" for code in DISTRICTS) + "]"
    return [
        ("no foreign-key triggers while loading", "SET session_replication_role = replica"),
        (
            f"{sites} sites",
            f"INSERT INTO sites (id, name, region_code, temperature_required, created_at) "
            f"SELECT i, 'Checkpoint ' || i, ({regions})[1 + i % {len(DISTRICTS)}], false, {now} - interval '60 days' "
            f"FROM generate_series(1, {sites}) i",
        ),
        (
            f"{cards:,} cards",
            f"INSERT INTO cards (id, card_id, public_id, document_type, document_index, document_enc, name_enc, "
            f"masked_name, masked_document, status, created_at, approved_at, colour, colour_stamp) "
            f"SELECT i, 'c' || i, 'p' || i, 'resident_id', 'd' || i, '\\x00', '\\x00', '*某', '1501**********01', "
            f"'approved', {now} - (i % 60) * interval '1 day', {now} - (i % 60) * interval '1 day', "
            f"CASE WHEN i % 100 < 90 THEN 'green' WHEN i % 100 < 96 THEN 'yellow' WHEN i % 100 < 97 THEN 'red' END, 0 "
            f"FROM generate_series(1, {cards}) i",
        ),
        (
            f"{cards:,} declarations",
            f"INSERT INTO declarations (card_id, version, declared_at, temperature, symptoms, travel_regions, "
            f"contact_with_case, under_quarantine, case_status, address_region, address_detail_enc, pledge) "
            f"SELECT i, 1, {now} - random() * interval '30 days', 36.5, '[]', '[]', false, false, 'none', "
            f"({regions})[1 + i % {len(DISTRICTS)}], '\\x00', true FROM generate_series(1, {cards}) i",
        ),
        (
            f"{cards:,} applications",
            f"INSERT INTO applications (card_id, kind, name_enc, state, created_at, submitted_at, decided_at) "
            f"SELECT i, 'new', '\\x00', CASE WHEN i % 1000 < 940 THEN 'approved' WHEN i % 1000 < 990 THEN 'rejected' "
            f"WHEN i % 1000 < 995 THEN 'review' ELSE 'pending' END, t, t, t FROM "
            f"(SELECT i, {now} - random() * interval '30 days' AS t FROM generate_series(1, {cards}) i) s",
        ),
        ("drop the scans' time indexes for the load", "DROP INDEX ix_scans_at, ix_scans_site_at"),
        (
            f"{scans:,} scans",
            f"INSERT INTO scans (site_id, staff_id, device, at, reason, colour, temperature, decision, manual, "
            f"offline) "
            f"SELECT 1 + i % {sites}, 1, 'bench', {now} - random() * interval '30 days', 'ok', 'green', "
            f"36.0 + random() * 1.6, CASE WHEN i % 50 = 0 THEN 'deny' ELSE 'allow' END, false, false "
            f"FROM generate_series(1, {scans}) i",
        ),
        ("index scans by time again", "CREATE INDEX ix_scans_at ON scans (at)"),
        ("index scans by site and time again", "CREATE INDEX ix_scans_site_at ON scans (site_id, at)"),
        ("ANALYZE", "ANALYZE"),
    ]


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return (time.perf_counter() - started) * 1000, result


async def main(args: argparse.Namespace) -> int:
    import os

    server = make_url(
        os.environ.get("HEALTHCODE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    )
    name = args.database
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        await connection.exec_driver_sql(f"CREATE DATABASE {name}")
    await admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(env="test", var_dir=Path(tempfile.mkdtemp()), database_url=url)
    engine = create_async_engine(url)
    clock = FixedClock(NOW)
    print(f"database {name}: {args.cards:,} cards, {args.scans:,} scans at {args.sites} sites")
    async with engine.connect() as connection:
        for what, statement in fill_statements(args.cards, args.scans, args.sites):
            ms, _ = await timed(lambda s=statement: connection.exec_driver_sql(s))
            print(f"  {what}: {ms / 1000:.1f} s")
        await connection.commit()

    async with AsyncSession(engine, expire_on_commit=False) as db:
        first, written = await timed(lambda: Rollups(db, settings, clock).run())
        print(f"rollups, first pass (everything): {first / 1000:.1f} s, {written:,} rows")
        clock.advance(minutes=10)
        steady, written = await timed(lambda: Rollups(db, settings, clock).run())
        print(f"rollups, a steady pass (two days and today's snapshot): {steady / 1000:.1f} s, {written:,} rows")

    today = NOW.astimezone(settings.zone).date()
    filters = {
        "30 days, every region": Filter(today - timedelta(days=29), today),
        "30 days, one district": Filter(today - timedelta(days=29), today, DISTRICTS[3]),
        "a year, every region": Filter(today - timedelta(days=365), today),
    }
    slow = 0
    print(f"\n{'chart':<24}{'filter':<24}{'median ms':>10}{'worst ms':>10}")
    async with AsyncSession(engine, expire_on_commit=False) as db:
        service = StatisticsService(db, settings, clock)
        queries: list[tuple[str, Callable[[Filter], Awaitable[Any]]]] = [
            (chart, lambda f, c=chart: service.table(c, f, everything=True)) for chart in CHARTS
        ]
        queries += [
            ("colours_by_day (API)", lambda f: service.colours_by_day(f.start, f.end, f.region or None)),
            ("queue now (live)", lambda f: service.queue_now()),
            ("regions", lambda f: service.regions()),
        ]
        downloads: list[tuple[str, Callable[[Filter], Awaitable[Any]]]] = [
            ("site_hours (CSV only)", lambda f: service._site_hours(f)),
        ]
        for label, wanted in filters.items():
            for chart, query in [*queries, *downloads]:
                times = []
                for _ in range(args.rounds):
                    ms, _ = await timed(lambda q=query, w=wanted: q(w))
                    times.append(ms)
                    await db.rollback()
                worst = max(times)
                counted = (chart, query) not in downloads  # a download is not a chart: timed, not judged
                slow += counted and worst > BUDGET_MS
                flag = "  SLOW" if counted and worst > BUDGET_MS else ""
                print(f"{chart:<24}{label:<24}{statistics.median(times):>10.1f}{worst:>10.1f}{flag}")
    await engine.dispose()
    print(f"\n{'every chart within' if not slow else 'charts over'} {BUDGET_MS:.0f} ms" + (f": {slow}" if slow else ""))
    return 1 if slow else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--sites", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default="hc_bench_statistics")
    sys.exit(asyncio.run(main(parser.parse_args())))
