"""The statistics rollups: counted by local day from the raw rows, kept when the retention purge
deletes those rows, and read back per chart without personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.config import Settings
from healthcode.db.models import Application, Card, Declaration, Scan, Site, StatisticsDay, StatisticsScanHour
from healthcode.domain.clock import FixedClock
from healthcode.privacy.retention import Purge
from healthcode.statistics.filters import Filter
from healthcode.statistics.rollups import Rollups
from healthcode.statistics.service import StatisticsService
from tests import factories

# 2026-03-01 10:00 in Hohhot is 02:00 UTC (the shared clock's start).
DAY = date(2026, 3, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in Hohhot's local time (UTC+8)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def seed(db: AsyncSession, settings: Settings, clock: FixedClock) -> dict[str, int]:
    """Two sites, three approved cards (two declared, in two districts), applications, scans."""
    account = await factories.staff(db, settings, clock, roles=("checkpoint",), username="gate")
    sites = [
        Site(name="赛罕区东门", region_code="150105", created_at=clock.now()),
        Site(name="新城区北站", region_code="150102", created_at=clock.now()),
    ]
    db.add_all(sites)
    await db.flush()
    cards = []
    for n, colour in enumerate(["green", "red", None]):
        card = Card(
            card_id=f"cid{n}",
            public_id=f"pub{n}",
            document_type="resident_id",
            document_index=f"idx{n}",
            document_enc=b"",
            name_enc=b"",
            masked_name="*三",
            masked_document="1****1",
            status="approved",
            created_at=at(DAY - timedelta(days=1), 9),
            colour=colour,
        )
        db.add(card)
        cards.append(card)
    await db.flush()
    for card, region in zip(cards[:2], ["150105", "150102"], strict=True):
        for version, when in enumerate([at(DAY - timedelta(days=1), 23, 30), at(DAY, 0, 30)], start=1):
            db.add(
                Declaration(
                    card_id=card.id,
                    version=version,
                    declared_at=when,
                    symptoms=[],
                    travel_regions=[],
                    contact_with_case=False,
                    under_quarantine=False,
                    case_status="none",
                    address_region=region,
                    address_detail_enc=b"",
                    pledge=True,
                )
            )
    for card, state in zip(cards, ["approved", "rejected", "review"], strict=True):
        db.add(
            Application(
                card_id=card.id,
                kind="new",
                name_enc=b"",
                state=state,
                created_at=at(DAY, 8),
                submitted_at=at(DAY, 8, 5),
            )
        )
    # 07:59 and 08:10 local (23:59 and 00:10 UTC the day before and of): two local hours of one day.
    scans = [
        (sites[0], at(DAY, 7, 59), 36.5, "allow"),
        (sites[0], at(DAY, 8, 10), 38.0, "deny"),
        (sites[0], at(DAY, 8, 20), None, "allow"),
        (sites[1], at(DAY, 8, 30), 37.3, "allow"),
        (sites[1], at(DAY - timedelta(days=40), 12), 36.6, "allow"),
    ]
    for site, when, temperature, decision in scans:
        db.add(
            Scan(
                site_id=site.id,
                staff_id=account.account.id,
                device="test",
                at=when,
                reason="ok",
                temperature=temperature,
                decision=decision,
            )
        )
    await db.commit()
    return {"east": sites[0].id, "north": sites[1].id}


async def test_rollups_count_by_local_day_hour_region_and_state(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    sites = await seed(db, settings, clock)
    await Rollups(db, settings, clock).run()

    hours = {
        (row.day, row.hour, row.site_id): (row.scans, row.fevers, row.denied)
        for row in await db.scalars(select(StatisticsScanHour))
    }
    assert hours == {
        (DAY, 7, sites["east"]): (1, 0, 0),
        (DAY, 8, sites["east"]): (2, 1, 1),
        (DAY, 8, sites["north"]): (1, 1, 0),
        (DAY - timedelta(days=40), 12, sites["north"]): (1, 0, 0),
    }
    service = StatisticsService(db, settings, clock)
    wanted = Filter(DAY - timedelta(days=1), DAY)
    declarations = await service.table("declarations", wanted)
    assert declarations.rows == [["2026-02-28", 2], ["2026-03-01", 2]]
    in_saihan = await service.table("declarations", Filter(DAY - timedelta(days=1), DAY, "150105"))
    assert in_saihan.rows == [["2026-02-28", 1], ["2026-03-01", 1]]
    in_city = await service.table("declarations", Filter(DAY, DAY, "150100"))
    assert in_city.rows == [["2026-03-01", 2]]

    applications = await service.table("applications", Filter(DAY, DAY))
    row = dict(zip(applications.columns, applications.rows[0], strict=True))
    assert (row["approved"], row["rejected"], row["review"], row["total"]) == (1, 1, 1, 3)

    assert await service.colours_by_day(DAY, DAY, None) == [
        {"date": "2026-03-01", "region": None, "green": 1, "yellow": 0, "red": 1, "none": 1}
    ]
    assert await service.colours_by_day(DAY, DAY, "150102") == [
        {"date": "2026-03-01", "region": "150102", "green": 0, "yellow": 0, "red": 1, "none": 0}
    ]
    queue = await service.table("queue", Filter(DAY, DAY))
    assert queue.rows == [["2026-03-01", 0, 1, 1]]  # one with reviewers since 08:05, now 10:00

    scans = await service.table("scans", Filter(DAY, DAY))
    assert scans.rows[7] == ["07:00", 1, 0, 0]
    assert scans.rows[8] == ["08:00", 3, 2, 1]
    by_site = await service.table("sites", Filter(DAY, DAY, "150105"))
    assert by_site.rows == [["赛罕区东门", "150105", 3, 1, 1]]


async def test_a_day_end_snapshot_stays_and_passes_recount_without_doubling(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await seed(db, settings, clock)
    rollups = Rollups(db, settings, clock)
    await rollups.run()
    await rollups.run()  # counting again changes nothing
    assert await db.scalar(select(func.sum(StatisticsScanHour.scans))) == 5
    card = await db.scalar(select(Card).where(Card.colour == "red"))
    assert card is not None
    card.colour = "green"
    await db.commit()
    clock.advance(days=1)
    await rollups.run()
    service = StatisticsService(db, settings, clock)
    days = await service.colours_by_day(DAY, DAY + timedelta(days=1), None)
    assert [(d["date"], d["green"], d["red"]) for d in days] == [("2026-03-01", 1, 1), ("2026-03-02", 2, 0)]


async def test_recode_and_appeal_actions_are_counted_once_from_the_audit_trail(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    trail = AuditTrail(db, settings.audit_key, clock)
    for action in ["recode.propose", "recode.proposals_read", "recode.approve", "recode.appeal"]:
        await trail.record("staff:1", action, "card:x", recode=1)
    await db.commit()
    rollups = Rollups(db, settings, clock)
    await rollups.run()
    await trail.record("staff:2", "recode.propose", "card:y", recode=2)
    await db.commit()
    await rollups.run()
    await rollups.run()
    table = await StatisticsService(db, settings, clock).table("recodes", Filter(DAY, DAY))
    row = dict(zip(table.columns, table.rows[0], strict=True))
    assert (row["propose"], row["approve"], row["decline"], row["appeal"]) == (2, 1, 0, 1)


@pytest.mark.settings(retention_scans_days=30)
async def test_the_purge_counts_scans_before_it_deletes_them(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    sites = await seed(db, settings, clock)
    gone = await Purge(db, settings, clock).run()  # no pass of the job ran before
    assert gone["scans"] == 1
    assert await db.scalar(select(func.count()).select_from(Scan)) == 4
    old = DAY - timedelta(days=40)
    kept = await db.get(StatisticsScanHour, (old, 12, sites["north"]))
    assert kept is not None
    assert kept.scans == 1
    clock.advance(days=1)
    await Rollups(db, settings, clock).run()  # later passes leave the purged day alone
    kept = await db.get(StatisticsScanHour, (old, 12, sites["north"]))
    assert kept is not None
    assert kept.scans == 1


async def test_rollups_hold_no_personal_data(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    await seed(db, settings, clock)
    await Rollups(db, settings, clock).run()
    for row in await db.scalars(select(StatisticsDay)):
        if row.kind.endswith(("_hour", "_site")):
            assert row.key.isdigit()  # an hour or a site's id
        else:
            assert row.key in {"", "approved", "rejected", "review", "green", "red", "none"}
        assert row.region in {"", "150105", "150102"}
