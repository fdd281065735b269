"""The statistics (SPEC §10) read from the rollups only, never from the raw rows (except the live
length of the real-name queue, an indexed count). Administrators and the health authority see
them; each view and each CSV export is recorded in the audit trail as ``statistics.view``.

:meth:`StatisticsService.colours_by_day` is also what the staff API's statistics call answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from healthcode.audit.service import AuditedService
from healthcode.db.models import Application, Site, StatisticsDay, StatisticsScanHour
from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.regions import current_regions
from healthcode.domain.roles import Role
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService
from healthcode.statistics.filters import Filter
from healthcode.statistics.rollups import QUEUE_STATES

ROLES = (Role.ADMIN, Role.AUTHORITY)
COLOURS = ("green", "yellow", "red", "none")
APPLICATION_STATES = ("approved", "rejected", "review", "pending", "deciding", "awaiting_photos", "withdrawn")
RECODE_ACTIONS = ("propose", "approve", "decline", "appeal", "appeal_granted", "appeal_upheld")
SCAN_FIGURES = ("scans", "fevers", "denied")
SITES_SHOWN = 20
CHARTS = ("applications", "queue", "colours", "declarations", "scans", "sites", "recodes")
"""Every table the page shows; each can be downloaded as CSV."""
DOWNLOADS = (*CHARTS, "site_hours")
"""What can be downloaded: every chart's table, and scans per site and hour of each day."""

LABELS = {
    "date": N_("Day"),
    "hour": N_("Hour"),
    "site": N_("Checkpoint"),
    "site_id": N_("Checkpoint number"),
    "region": N_("Region"),
    "total": N_("Total"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "review": N_("With reviewers"),
    "pending": N_("With the real-name check"),
    "deciding": N_("Being decided"),
    "awaiting_photos": N_("Waiting for photos"),
    "withdrawn": N_("Withdrawn"),
    "oldest_wait_hours": N_("Longest wait (hours)"),
    "green": N_("Green"),
    "yellow": N_("Yellow"),
    "red": N_("Red"),
    "none": N_("No colour yet"),
    "declarations": N_("Declarations"),
    "scans": N_("Scans"),
    "fevers": N_("Fevers"),
    "denied": N_("Refused"),
    "propose": N_("Recodes proposed"),
    "approve": N_("Recodes approved"),
    "decline": N_("Recodes declined"),
    "appeal": N_("Appeals filed"),
    "appeal_granted": N_("Appeals granted"),
    "appeal_upheld": N_("Appeals upheld"),
}


@dataclass(frozen=True)
class Table:
    """One chart's figures: column keys (CSV headers; :data:`LABELS` names them on the page) and rows."""

    name: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class QueueNow:
    """The real-name queue at this moment."""

    length: int
    oldest: datetime | None
    oldest_wait_hours: int


@dataclass(frozen=True)
class Overview:
    tables: dict[str, Table]
    queue_now: QueueNow
    regions: list[tuple[str, str]]


def unknown_chart() -> NotFound:
    return NotFound("chart_not_found", N_("There is no such chart."), field="chart")


class StatisticsService(AuditedService):
    """Reads the rollups for the statistics pages (and the staff API's colours call)."""

    async def overview(self, principal: Principal | None, wanted: Filter) -> Overview:
        """Every chart's table, the queue now and the regions to choose from; the view is audited."""
        staff_id = await self._authorize(principal)
        tables = {name: await self.table(name, wanted) for name in CHARTS}
        regions = await self.regions()
        queue_now = await self.queue_now()
        await self._audit_view(staff_id, wanted, "page")
        return Overview(tables, queue_now, regions)

    async def export(self, principal: Principal | None, name: str, wanted: Filter) -> Table:
        """One chart's table for a CSV download; audited like a view."""
        staff_id = await self._authorize(principal)
        if name not in DOWNLOADS:
            raise unknown_chart()
        table = await (self._site_hours(wanted) if name == "site_hours" else self.table(name, wanted, everything=True))
        await self._audit_view(staff_id, wanted, "csv", chart=name)
        return table

    async def table(self, name: str, wanted: Filter, *, everything: bool = False) -> Table:
        if name == "applications":
            return await self._by_day("applications", wanted, APPLICATION_STATES, regional=False, total=True)
        if name == "queue":
            return await self._queue(wanted)
        if name == "colours":
            return await self._colours(wanted)
        if name == "declarations":
            return await self._by_day("declarations", wanted, ("",), regional=True, total=False)
        if name == "scans":
            return await self._scans_by_hour(wanted)
        if name == "sites":
            return await self._sites(wanted, None if everything else SITES_SHOWN)
        if name == "recodes":
            return await self._by_day("recodes", wanted, RECODE_ACTIONS, regional=False, total=False)
        raise unknown_chart()

    async def colours_by_day(self, start: date, end: date, region: str | None) -> list[dict[str, Any]]:
        """Cards by colour at the end of each day with a count (the last snapshot of the day),
        in ``region`` (with the regions inside it) or everywhere: ``{date, region, green,
        yellow, red, none}``, oldest first; days without a snapshot are left out."""
        wanted = Filter(start, end, region or "")
        return [
            {"date": row[0], "region": region, **dict(zip(COLOURS, row[1:], strict=True))}
            for row in (await self._colours(wanted)).rows
        ]

    async def queue_now(self) -> QueueNow:
        length, oldest = (
            await self.db.execute(
                select(func.count(), func.min(Application.submitted_at)).where(Application.state.in_(QUEUE_STATES))
            )
        ).one()
        if oldest is not None and oldest.tzinfo is None:  # an aggregate skips the column's type
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=self.clock.now().tzinfo)
        wait = int((self.clock.now() - oldest).total_seconds() // 3600) if oldest else 0
        return QueueNow(int(length), oldest, max(0, wait))

    async def regions(self) -> list[tuple[str, str]]:
        """Regions the rollups count something in, with their names, and the cities and
        provinces above them (code, name), by code."""
        codes = set(
            await self.db.scalars(
                select(StatisticsDay.region)
                .where(StatisticsDay.kind.in_(("colours", "declarations")), StatisticsDay.region != "")
                .group_by(StatisticsDay.region)
            )
        )
        codes |= set(await self.db.scalars(select(Site.region_code).group_by(Site.region_code)))
        names = {region.code: region.full_name for region in current_regions()}
        above = {code[:2] + "0000" for code in codes} | {code[:4] + "00" for code in codes}
        return sorted((code, names.get(code, code)) for code in codes | above if code in names or code in codes)

    async def _by_day(self, kind: str, wanted: Filter, keys: tuple[str, ...], *, regional: bool, total: bool) -> Table:
        where = [StatisticsDay.kind == kind, *self._days(StatisticsDay.day, wanted)]
        if regional and wanted.region:
            where.append(StatisticsDay.region.like(f"{wanted.region_prefix}%"))
        rows = await self.db.execute(
            select(StatisticsDay.day, StatisticsDay.key, func.sum(StatisticsDay.count))
            .where(*where)
            .group_by(StatisticsDay.day, StatisticsDay.key)
        )
        counts: dict[date, dict[str, int]] = defaultdict(dict)
        for day, key, n in rows.all():
            counts[_day(day)][key] = int(n)
        columns = ["date", *(key or kind for key in keys)] + (["total"] if total else [])
        out = []
        for day in wanted.days:
            values = [counts[day].get(key, 0) for key in keys]
            out.append([day.isoformat(), *values] + ([sum(counts[day].values())] if total else []))
        return Table(kind, columns, out)

    async def _queue(self, wanted: Filter) -> Table:
        rows = await self.db.execute(
            select(StatisticsDay.day, StatisticsDay.kind, StatisticsDay.key, StatisticsDay.count).where(
                StatisticsDay.kind.in_(("queue_length", "queue_oldest_wait")), *self._days(StatisticsDay.day, wanted)
            )
        )
        days: dict[date, dict[str, int]] = defaultdict(lambda: {"pending": 0, "review": 0, "wait": 0})
        for day, kind, key, n in rows.all():
            cell = days[_day(day)]
            if kind == "queue_length":
                cell[key] = int(n)
            else:
                cell["wait"] = max(cell["wait"], int(n))
        out = [
            [day.isoformat(), days[day]["pending"], days[day]["review"], days[day]["wait"] // 3600]
            for day in wanted.days
            if day in days
        ]
        return Table("queue", ["date", "pending", "review", "oldest_wait_hours"], out)

    async def _colours(self, wanted: Filter) -> Table:
        where = [StatisticsDay.kind == "colours", *self._days(StatisticsDay.day, wanted)]
        if wanted.region:
            where.append(StatisticsDay.region.like(f"{wanted.region_prefix}%"))
        rows = await self.db.execute(
            select(StatisticsDay.day, StatisticsDay.key, func.sum(StatisticsDay.count))
            .where(*where)
            .group_by(StatisticsDay.day, StatisticsDay.key)
        )
        days: dict[date, dict[str, int]] = defaultdict(dict)
        for day, key, n in rows.all():
            days[_day(day)][key] = int(n)
        out = [[day.isoformat(), *(days[day].get(c, 0) for c in COLOURS)] for day in wanted.days if day in days]
        return Table("colours", ["date", *COLOURS], out)

    async def _scans_by_hour(self, wanted: Filter) -> Table:
        sums = await self._scan_sums("hour", wanted)
        out = [[f"{h:02d}:00", *(sums[f"{h:02d}"][what] for what in SCAN_FIGURES)] for h in range(24)]
        return Table("scans", ["hour", *SCAN_FIGURES], out)

    async def _sites(self, wanted: Filter, limit: int | None) -> Table:
        sums = await self._scan_sums("site", wanted)
        ranked = sorted(sums.items(), key=lambda item: (-item[1]["scans"], int(item[0])))[:limit]
        ids = [int(key) for key, _ in ranked]
        sites = {row.id: row for row in await self.db.scalars(select(Site).where(Site.id.in_(ids)))} if ids else {}
        out = []
        for key, figures in ranked:
            site = sites.get(int(key))
            name, region = (site.name, site.region_code) if site else (f"#{key}", "")
            out.append([name, region, *(figures[what] for what in SCAN_FIGURES)])
        return Table("sites", ["site", "region", *SCAN_FIGURES], out)

    async def _site_hours(self, wanted: Filter) -> Table:
        """Every site's scans, fevers and refusals per hour of each day (for a download only)."""
        hours = StatisticsScanHour
        query = (
            select(
                hours.day,
                hours.hour,
                hours.site_id,
                Site.name,
                Site.region_code,
                hours.scans,
                hours.fevers,
                hours.denied,
            )
            .outerjoin(Site, Site.id == hours.site_id)
            .where(*self._days(hours.day, wanted))
            .order_by(hours.day, hours.hour, hours.site_id)
        )
        if wanted.region:
            query = query.where(Site.region_code.like(f"{wanted.region_prefix}%"))
        out = [
            [_day(day).isoformat(), f"{hour:02d}:00", site_id, name or "", region or "", scans, fevers, denied]
            for day, hour, site_id, name, region, scans, fevers, denied in (await self.db.execute(query)).all()
        ]
        return Table("site_hours", ["date", "hour", "site_id", "site", "region", *SCAN_FIGURES], out)

    async def _scan_sums(self, by: str, wanted: Filter) -> dict[str, dict[str, int]]:
        """Scans, fevers and refusals in the days and region, by hour ("08") or by site id."""
        where = [
            StatisticsDay.kind.in_([f"{what}_{by}" for what in SCAN_FIGURES]),
            *self._days(StatisticsDay.day, wanted),
        ]
        if wanted.region:
            where.append(StatisticsDay.region.like(f"{wanted.region_prefix}%"))
        rows = await self.db.execute(
            select(StatisticsDay.key, StatisticsDay.kind, func.sum(StatisticsDay.count))
            .where(*where)
            .group_by(StatisticsDay.key, StatisticsDay.kind)
        )
        sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SCAN_FIGURES, 0))
        for key, kind, n in rows.all():
            sums[key][kind.removesuffix(f"_{by}")] = int(n)
        return sums

    @staticmethod
    def _days(column: Any, wanted: Filter) -> list[ColumnElement[bool]]:
        return [column >= wanted.start, column <= wanted.end]

    async def _authorize(self, principal: Principal | None) -> int:
        staff = StaffService(self.db, self.settings, self.clock)
        return (await staff.authorize(principal, Role.ADMIN, Role.AUTHORITY)).id

    async def _audit_view(self, staff_id: int, wanted: Filter, shown: str, **detail: Any) -> None:
        await self.audit.record(
            f"staff:{staff_id}",
            "statistics.view",
            "",
            start=wanted.start.isoformat(),
            end=wanted.end.isoformat(),
            region=wanted.region or None,
            format=shown,
            **detail,
        )
        await self.db.commit()


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
