"""Keeping the statistics rollups: counts without personal data, by local day (the region's zone).

A pass (:meth:`Rollups.run`) counts again, from the raw rows, every day from the day before the
last pass up to today: scans per site and hour (with fevers and refusals), declarations per region,
applications per state (over the last :data:`APPLICATION_DAYS` days as well, since an application's
outcome comes later). It then takes today's snapshot of the cards by colour and region (the last
snapshot of a day is the day's end) and of the real-name queue, and adds the recode and appeal
actions the audit trail recorded since the last pass (the trail is gapless and ordered, so each
entry is counted once). The first pass counts everything there is.

The retention purge runs a pass before it deletes scans or declarations, and days the purge
reaches (15 days back at least) are never counted again, so what it deletes has been counted.
A pass holds the ``statistics_marks`` row locked: two passes never interleave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import (
    Application,
    AuditHead,
    AuditRecord,
    Card,
    Declaration,
    Scan,
    Site,
    StatisticsDay,
    StatisticsMark,
    StatisticsScanHour,
)
from healthcode.domain.clock import Clock
from healthcode.domain.passage import FEVER_AT

MARK = "rollups"
APPLICATION_DAYS = 31
"""Applications made this many days back are counted again at each pass: their outcome may change."""
QUEUE_STATES = ("pending", "review")
"""The real-name queue: with the provider, or waiting for a reviewer."""
RECODE_PREFIX = "recode."
SCAN_KINDS = tuple(f"{what}_{by}" for what in ("scans", "fevers", "denied") for by in ("hour", "site"))
"""Scans, fevers and refusals per day, region and hour (key "08"), and per day and site (key the site's id)."""


class Rollups:
    """Brings the rollups up to date; :meth:`run` returns how many rollup rows it wrote."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.zone = settings.zone

    async def run(self) -> int:
        mark = await self.db.scalar(select(StatisticsMark).where(StatisticsMark.name == MARK).with_for_update())
        if mark is None:
            raise RuntimeError("statistics_marks row missing: run `healthcode db upgrade`")
        now = self.clock.now()
        today = now.astimezone(self.zone).date()
        start = mark.day - timedelta(days=1) if mark.day else await self._first_day(today)
        written = await self._scans(start, today)
        written += await self._declarations(start, today)
        written += await self._applications(min(start, today - timedelta(days=APPLICATION_DAYS)), today)
        written += await self._snapshot(today, now)
        mark.number, counted = await self._recodes(mark.number)
        mark.day = today
        await self.db.commit()
        return written + counted

    async def _first_day(self, today: date) -> date:
        """The first local day of any raw row (today when there is none)."""
        firsts = [
            await self.db.scalar(select(func.min(Scan.at))),
            await self.db.scalar(select(func.min(Declaration.declared_at))),
            await self.db.scalar(select(func.min(Application.created_at))),
        ]
        days = [self._local(moment).date() for moment in firsts if moment is not None]
        return min([*days, today])

    async def _scans(self, start: date, end: date) -> int:
        low, high = self._bounds(start, end)
        hour = self._utc_hour(Scan.at)
        fever = func.sum(case((Scan.temperature >= FEVER_AT, 1), else_=0))
        denied = func.sum(case((Scan.decision == "deny", 1), else_=0))
        rows = await self.db.execute(
            select(hour, Scan.site_id, func.count(), fever, denied)
            .where(Scan.at >= low, Scan.at < high)
            .group_by(hour, Scan.site_id)
        )
        counts: dict[tuple[date, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        for utc_hour, site_id, scans, fevers, refused in rows.all():
            local = self._local(self._parse_hour(utc_hour))
            cell = counts[(local.date(), local.hour, int(site_id))]
            cell[0] += int(scans)
            cell[1] += int(fevers or 0)
            cell[2] += int(refused or 0)
        await self.db.execute(
            delete(StatisticsScanHour).where(StatisticsScanHour.day >= start, StatisticsScanHour.day <= end)
        )
        values = [
            {"day": day, "hour": h, "site_id": site, "scans": n[0], "fevers": n[1], "denied": n[2]}
            for (day, h, site), n in counts.items()
        ]
        await self._insert(StatisticsScanHour, values)
        return len(values) + await self._scan_sums(start, end, counts)

    async def _scan_sums(self, start: date, end: date, counts: dict[tuple[date, int, int], list[int]]) -> int:
        """The same counts summed per day, region and hour, and per day and site, for the charts:
        a month of them is a few thousand rows where the hours of every site are 300,000."""
        regions = {site_id: code for site_id, code in (await self.db.execute(select(Site.id, Site.region_code))).all()}
        sums: dict[tuple[str, date, str, str], int] = defaultdict(int)
        for (day, hour, site_id), numbers in counts.items():
            region = regions.get(site_id, "")
            for what, n in zip(("scans", "fevers", "denied"), numbers, strict=True):
                if n:
                    sums[(f"{what}_hour", day, region, f"{hour:02d}")] += n
                    sums[(f"{what}_site", day, region, str(site_id))] += n
        days = (StatisticsDay.day >= start, StatisticsDay.day <= end)
        await self.db.execute(delete(StatisticsDay).where(StatisticsDay.kind.in_(SCAN_KINDS), *days))
        values = [
            {"kind": kind, "day": day, "region": region, "key": key, "count": n}
            for (kind, day, region, key), n in sums.items()
        ]
        await self._insert(StatisticsDay, values)
        return len(values)

    async def _declarations(self, start: date, end: date) -> int:
        low, high = self._bounds(start, end)
        hour = self._utc_hour(Declaration.declared_at)
        rows = await self.db.execute(
            select(hour, Declaration.address_region, func.count())
            .where(Declaration.declared_at >= low, Declaration.declared_at < high)
            .group_by(hour, Declaration.address_region)
        )
        return await self._replace_days("declarations", start, end, ((h, region or "", "", n) for h, region, n in rows))

    async def _applications(self, start: date, end: date) -> int:
        low, high = self._bounds(start, end)
        hour = self._utc_hour(Application.created_at)
        rows = await self.db.execute(
            select(hour, Application.state, func.count())
            .where(Application.created_at >= low, Application.created_at < high)
            .group_by(hour, Application.state)
        )
        return await self._replace_days("applications", start, end, ((h, "", state, n) for h, state, n in rows))

    async def _replace_days(self, kind: str, start: date, end: date, rows: Iterable[tuple[Any, str, str, int]]) -> int:
        """Counts by UTC hour, folded into local days, replacing the kind's rows of those days."""
        counts: dict[tuple[date, str, str], int] = defaultdict(int)
        for utc_hour, region, key, n in rows:
            counts[(self._local(self._parse_hour(utc_hour)).date(), region, key)] += int(n)
        days = (StatisticsDay.day >= start, StatisticsDay.day <= end)
        await self.db.execute(delete(StatisticsDay).where(StatisticsDay.kind == kind, *days))
        values = [
            {"kind": kind, "day": day, "region": region, "key": key, "count": n}
            for (day, region, key), n in counts.items()
        ]
        await self._insert(StatisticsDay, values)
        return len(values)

    async def _snapshot(self, today: date, now: datetime) -> int:
        """Today's cards by region and colour, and the real-name queue, as they are now."""
        latest = (
            select(Declaration.card_id, func.max(Declaration.version).label("version"))
            .group_by(Declaration.card_id)
            .subquery()
        )
        regions = (
            select(Declaration.card_id, Declaration.address_region)
            .join(latest, and_(latest.c.card_id == Declaration.card_id, latest.c.version == Declaration.version))
            .subquery()
        )
        colours = await self.db.execute(
            select(regions.c.address_region, Card.colour, func.count())
            .select_from(Card)
            .outerjoin(regions, regions.c.card_id == Card.id)
            .where(Card.status == "approved")
            .group_by(regions.c.address_region, Card.colour)
        )
        values = [
            {"kind": "colours", "day": today, "region": region or "", "key": colour or "none", "count": int(n)}
            for region, colour, n in colours.all()
        ]
        queue = await self.db.execute(
            select(Application.state, func.count(), func.min(Application.submitted_at))
            .where(Application.state.in_(QUEUE_STATES))
            .group_by(Application.state)
        )
        for state, n, oldest in queue.all():
            wait = max(0, int((now - oldest).total_seconds())) if oldest is not None else 0
            values.append({"kind": "queue_length", "day": today, "region": "", "key": state, "count": int(n)})
            values.append({"kind": "queue_oldest_wait", "day": today, "region": "", "key": state, "count": wait})
        snapshot_kinds = ("colours", "queue_length", "queue_oldest_wait")
        await self.db.execute(
            delete(StatisticsDay).where(StatisticsDay.kind.in_(snapshot_kinds), StatisticsDay.day == today)
        )
        await self._insert(StatisticsDay, values)
        return len(values)

    async def _recodes(self, after: int) -> tuple[int, int]:
        """Recode and appeal actions of the audit trail after entry ``after``, added to their days;
        the new mark and the rows written. Reads of proposals and appeals are not actions."""
        top = await self.db.scalar(select(AuditHead.seq)) or 0
        if top <= after:
            return after, 0
        action = AuditRecord.action
        rows = await self.db.execute(
            select(AuditRecord.at, action).where(
                AuditRecord.seq > after,
                AuditRecord.seq <= top,
                action.like(f"{RECODE_PREFIX}%"),
                action.not_like("%\\_read", escape="\\"),
            )
        )
        counts: dict[tuple[date, str], int] = defaultdict(int)
        for at, name in rows.all():
            counts[(self._local(at).date(), name.removeprefix(RECODE_PREFIX))] += 1
        for (day, key), n in counts.items():
            row = await self.db.get(StatisticsDay, ("recodes", day, "", key))
            if row is None:
                self.db.add(StatisticsDay(kind="recodes", day=day, region="", key=key, count=n))
            else:
                row.count += n
        return top, len(counts)

    async def _insert(self, model: type[Any], values: list[dict[str, Any]]) -> None:
        for chunk in range(0, len(values), 5_000):
            await self.db.execute(insert(model), values[chunk : chunk + 5_000])

    def _bounds(self, start: date, end: date) -> tuple[datetime, datetime]:
        """The UTC moments where local day ``start`` begins and local day ``end`` ends."""
        low = datetime.combine(start, time(), tzinfo=self.zone).astimezone(UTC)
        high = datetime.combine(end + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)
        return low, high

    def _utc_hour(self, column: Any) -> ColumnElement[Any]:
        """The UTC hour a moment falls in (PostgreSQL a timestamp, SQLite ``YYYY-MM-DD HH``)."""
        if self.db.get_bind().dialect.name == "sqlite":
            return func.substr(column, 1, 13)
        return func.date_trunc("hour", func.timezone("UTC", column))

    def _local(self, moment: datetime) -> datetime:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(self.zone)

    @staticmethod
    def _parse_hour(value: datetime | str) -> datetime:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC)
