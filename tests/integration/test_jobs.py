"""Background work runs once however many processes run the job loop (healthcode.db.leases,
healthcode.web.jobs): periodic jobs fire once a pass, a list import is held by one worker and
taken over after that worker stops, and a worker that lost its hold applies nothing."""

import json
from typing import Any

import pytest
from benchmarks import listgen
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.leases import LeaseLost, Leases
from healthcode.db.models import JobLease, ListEntry, ListImport
from healthcode.domain.clock import FixedClock
from healthcode.lists import service as lists_module
from healthcode.lists.service import INTERRUPTED, lease_name, make_list_import_service
from healthcode.web.features import discover_jobs
from healthcode.web.jobs import Jobs

ROWS = 50


async def queued(db: AsyncSession, settings: Settings, clock: FixedClock) -> int:
    upload = await make_list_import_service(db, settings, clock).queue(
        "test", "cases", "cases.csv", listgen.case_list_csv(ROWS)
    )
    return upload.id


async def test_a_lease_is_held_by_one_holder_until_it_expires(
    engine: AsyncEngine, db: AsyncSession, clock: FixedClock
) -> None:
    first, second = Leases(engine, clock, "a"), Leases(engine, clock, "b")
    assert await first.take("job", 60)
    assert not await second.take("job", 60)
    assert await first.take("job", 60), "a holder may take its own lease again"
    clock.advance(seconds=30)
    assert await first.renew("job", 60)
    clock.advance(seconds=61)
    assert await second.take("job", 60), "expired: another holder takes it over"
    assert not await first.renew("job", 60)
    with pytest.raises(LeaseLost):
        await first.still_held(db, "job")
    await second.still_held(db, "job")
    await db.rollback()  # the check holds the lease's row (PostgreSQL) until the transaction ends
    await second.release("job")
    assert await first.take("job", 60), "released: free at once"


async def test_periodic_jobs_fire_once_a_pass_however_many_workers_run_them(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[str] = []

    async def run_due(self: object, *args: object) -> int:
        passes.append("realname")
        return 0

    monkeypatch.setattr("healthcode.cards.verification.Verifier.run_due", run_due)
    workers = [Jobs(engine, make_sessionmaker(engine), settings, clock) for _ in range(3)]
    for jobs in workers:
        await jobs.run_once()
    assert passes == ["realname"]
    clock.advance(seconds=settings.jobs_interval_s)
    for jobs in reversed(workers):
        await jobs.run_once()
    assert passes == ["realname", "realname"]


async def test_an_import_left_by_a_stopped_worker_is_taken_over_once_its_lease_expires(
    engine: AsyncEngine, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    import_id = await queued(db, settings, clock)
    stopped = make_list_import_service(db, settings, clock, Leases(engine, clock, "stopped"))
    assert await stopped.claim_next() == import_id  # ... and the worker dies before it finishes

    other = make_list_import_service(db, settings, clock, Leases(engine, clock, "other"))
    assert await other.claim_next() is None, "held while the lease runs"
    clock.advance(seconds=settings.job_lease_s + 1)
    assert await other.claim_next() == import_id
    done = await other.run(import_id)
    assert (done.status, done.accepted_rows, done.attempts) == ("done", ROWS, 2)
    assert await db.scalar(select(func.count()).select_from(ListEntry)) == ROWS
    assert await other.claim_next() is None, "finished: nothing left to take"


async def test_a_worker_that_lost_its_hold_applies_nothing(
    engine: AsyncEngine, db: AsyncSession, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = await queued(db, settings, clock)
    slow = make_list_import_service(db, settings, clock, Leases(engine, clock, "slow"))
    assert await slow.claim_next() == import_id
    real_parse = lists_module.ListImportService._parse

    async def parse_then_lose_the_lease(self: lists_module.ListImportService, *args: Any) -> Any:
        parsed = await real_parse(self, *args)
        async with make_sessionmaker(engine)() as other:  # meanwhile another worker took it over
            await other.execute(update(JobLease).where(JobLease.name == lease_name(import_id)).values(holder="fast"))
            await other.commit()
        return parsed

    monkeypatch.setattr(lists_module.ListImportService, "_parse", parse_then_lose_the_lease)
    after = await slow.run(import_id)
    assert after.status == "running", "left to the worker that holds it"
    assert await db.scalar(select(func.count()).select_from(ListEntry)) == 0


async def test_an_import_that_keeps_stopping_is_failed_with_a_reason(
    engine: AsyncEngine, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    import_id = await queued(db, settings, clock)
    for attempt in range(lists_module.MAX_ATTEMPTS + 1):
        service = make_list_import_service(db, settings, clock, Leases(engine, clock, f"worker-{attempt}"))
        assert await service.claim_next() == import_id
        clock.advance(seconds=settings.job_lease_s + 1)  # each worker stops before finishing
    failed = await service.run(import_id)
    assert failed.status == "failed"
    assert json.loads(failed.error or "{}")["msgid"] == INTERRUPTED
    assert await db.scalar(select(ListImport.attempts)) == lists_module.MAX_ATTEMPTS + 1


def test_each_feature_brings_its_own_jobs() -> None:
    jobs = {job.name: job.periodic for job in discover_jobs()}
    assert jobs == {
        "audit.anchor": True,
        "realname.run_due": True,
        "colours.recheck_due": False,
        "lists.run_next_import": False,
        "privacy.purge": True,
        "sms.deliver": False,
        "statistics.rollups": True,
    }
