"""The audit log in the database: append-only by trigger, tampering found by verify."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.config import Settings
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
