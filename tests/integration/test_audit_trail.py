"""The audit log in the database: append-only by trigger, tampering found by verify."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.audit.anchors import Anchors
from healthcode.audit.jobs import anchor_if_due
from healthcode.audit.service import AuditTrail
from healthcode.background import JobContext
from healthcode.config import Settings
from healthcode.db.leases import Leases
from healthcode.domain.clock import FixedClock


@pytest.fixture
async def trail(db: AsyncSession, settings: Settings, clock: FixedClock) -> AuditTrail:
    trail = AuditTrail(db, settings.audit_key, clock)
    for n in range(1, 6):
        await trail.record(f"staff:{n}", "resident.read", f"resident:{n}", reason="ticket 12")
        clock.advance(seconds=1)
    await db.commit()
    return trail


async def lift_append_only(db: AsyncSession) -> None:
    """What an intruder with database rights would do first."""
    if db.bind.dialect.name == "postgresql":
        await db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
    else:
        await db.execute(text("DROP TRIGGER audit_log_no_update"))
        await db.execute(text("DROP TRIGGER audit_log_no_delete"))


async def test_entries_are_chained_and_verify(trail: AuditTrail) -> None:
    report = await trail.verify()
    assert (report.ok, report.checked) == (True, 5)
    latest = await trail.latest(2)
    assert [r.seq for r in latest] == [5, 4]
    assert latest[1].digest == latest[0].prev_digest


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"]
)
async def test_the_database_refuses_changes(trail: AuditTrail, db: AsyncSession, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text(statement))
    await db.rollback()
    assert (await trail.verify()).ok


async def test_a_changed_entry_is_found(trail: AuditTrail, db: AsyncSession) -> None:
    await lift_append_only(db)
    await db.execute(text("UPDATE audit_log SET subject = 'resident:99' WHERE seq = 3"))
    await db.commit()
    report = await trail.verify()
    assert (report.ok, report.broken_at, report.checked) == (False, 3, 2)


async def test_a_deleted_entry_is_found(trail: AuditTrail, db: AsyncSession) -> None:
    await lift_append_only(db)
    await db.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    await db.commit()
    report = await trail.verify()
    assert (report.ok, report.broken_at) == (False, 4)


async def test_a_deleted_tail_is_found(trail: AuditTrail, db: AsyncSession) -> None:
    await lift_append_only(db)
    await db.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    await db.commit()
    report = await trail.verify()
    assert (report.ok, report.broken_at) == (False, 5)


async def test_the_job_anchors_the_head_once_an_interval(
    trail: AuditTrail, db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "anchors"
    anchored = settings.model_copy(update={"audit_anchor_dir": folder, "audit_anchor_interval_s": 3600})
    job = JobContext(db, anchored, clock, Leases(engine, clock, "test"))
    assert await anchor_if_due(job) == 1
    assert await anchor_if_due(job) == 0, "not due again within the interval"
    anchor, problems = Anchors.of(folder, settings.audit_key).newest()
    assert problems == []
    assert anchor is not None
    assert anchor.seq == 5
    assert (await trail.verify(anchor)).ok
    await trail.record("staff:9", "resident.read", "resident:9")
    await db.commit()
    clock.advance(seconds=3600)
    assert await anchor_if_due(job) == 1
    newest, _ = Anchors.of(folder, settings.audit_key).newest()
    assert newest is not None
    assert newest.seq == 6
    assert len(list(folder.glob("anchor-*.json"))) == 2
    assert await anchor_if_due(replace_dir(job, None)) == 0, "no folder, no anchors"


def replace_dir(job: JobContext, folder: Path | None) -> JobContext:
    return JobContext(job.db, job.settings.model_copy(update={"audit_anchor_dir": folder}), job.clock, job.leases)
