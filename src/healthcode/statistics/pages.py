"""The statistics page under ``/staff/statistics`` (administrators and the health authority): every
chart as server-drawn SVG with its table beside it, a day range and region filter, and each
chart's figures as CSV. A missing sign-in becomes the sign-in page, a missing role a 403."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from litestar import Router, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Response, Template

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.forms import field_errors
from healthcode.statistics.charts import Chart, Series, bar_chart
from healthcode.statistics.filters import Filter, default_filter, parse_filter
from healthcode.statistics.service import CHARTS, DOWNLOADS, LABELS, Overview, StatisticsService, Table, unknown_chart

DESK_PATH = "/staff/statistics"
StartQuery = Annotated[str, QueryParameter(name="from", required=False)]
EndQuery = Annotated[str, QueryParameter(name="to", required=False)]
DESKS = [Desk(role, DESK_PATH, N_("Statistics")) for role in (Role.ADMIN, Role.AUTHORITY)]

TITLES = {
    "applications": N_("Applications per day and their outcome"),
    "queue": N_("Real-name queue at the end of each day"),
    "colours": N_("Cards by colour at the end of each day"),
    "declarations": N_("Health declarations per day"),
    "scans": N_("Checkpoint scans by hour of the day, with fevers"),
    "sites": N_("Checkpoints with the most scans"),
    "recodes": N_("Recodes and appeals per day"),
}
NOTES = {
    "applications": N_("Applications by the day they were made, split by where each stands now."),
    "queue": N_("Applications with the real-name check or with reviewers at the day's last count."),
    "colours": N_("Approved cards by colour at the day's last count, by the region of their latest declaration."),
    "declarations": N_("Declarations made each day, by the region of the address declared."),
    "scans": N_("Scans in the chosen days by local hour; a fever is a temperature of 37.3 °C or more."),
    "sites": N_("Scans, fevers and refusals at each checkpoint in the chosen days."),
    "recodes": N_("Recodes proposed and appeals filed each day; the table also shows the decisions."),
}
CHART_SERIES: dict[str, tuple[list[Series], bool]] = {
    "applications": (
        [
            Series("approved", LABELS["approved"], "s-approved"),
            Series("rejected", LABELS["rejected"], "s-rejected"),
            Series("review", LABELS["review"], "s-review"),
            Series("pending", LABELS["pending"], "s-pending"),
        ],
        True,
    ),
    "queue": (
        [Series("pending", LABELS["pending"], "s-pending"), Series("review", LABELS["review"], "s-review")],
        True,
    ),
    "colours": (
        [Series(c, LABELS[c], f"s-{c}") for c in ("green", "yellow", "red", "none")],
        True,
    ),
    "declarations": ([Series("declarations", LABELS["declarations"], "s-one")], False),
    "scans": ([Series("scans", LABELS["scans"], "s-one"), Series("fevers", LABELS["fevers"], "s-red")], False),
    "recodes": ([Series("propose", LABELS["propose"], "s-one"), Series("appeal", LABELS["appeal"], "s-review")], False),
}


def chart_of(table: Table, wanted: Filter) -> Chart | None:
    """The bars of a table's chart (the checkpoints' table has none: it is a ranking). A chart by
    day has a place for every day of the range, counted or not."""
    if table.name not in CHART_SERIES:
        return None
    series, stacked = CHART_SERIES[table.name]
    index = {column: n for n, column in enumerate(table.columns)}
    rows = {str(row[0]): row for row in table.rows}
    if table.columns[0] == "date":
        keys = [day.isoformat() for day in wanted.days]
        categories = [key[5:] for key in keys]
    else:
        keys = list(rows)
        categories = [key[:2] for key in keys]
    values = {s.key: [rows[key][index[s.key]] if key in rows else 0 for key in keys] for s in series}
    return bar_chart(categories, series, values, stacked=stacked)


def _page(overview: Overview | None, wanted: Filter, form: dict[str, str], errors: dict[str, str]) -> Template:
    query = "&".join(f"{k}={v}" for k, v in wanted.query().items() if v)
    return Template(
        template_name="statistics/overview.html",
        context={
            "overview": overview,
            "charts": [(name, chart_of(overview.tables[name], wanted)) for name in CHARTS] if overview else [],
            "titles": TITLES,
            "notes": NOTES,
            "labels": LABELS,
            "wanted": wanted,
            "form": form,
            "errors": errors,
            "query": query,
        },
        status_code=422 if errors else 200,
    )


@get("/", name="statistics")
async def overview(
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    start: StartQuery = "",
    end: EndQuery = "",
    region: Annotated[str, QueryParameter(required=False)] = "",
) -> Template:
    service = StatisticsService(db, settings, clock)
    today = clock.now().astimezone(settings.zone).date()
    form = {"from": start[:20], "to": end[:20], "region": region[:12]}
    try:
        wanted = parse_filter(today, form["from"], form["to"], form["region"])
    except InvalidInput as exc:
        fallback = default_filter(today)
        shown = await service.overview(staff_or_none, fallback)
        return _page(shown, fallback, form, field_errors(exc))
    shown = await service.overview(staff_or_none, wanted)
    form = {"from": wanted.start.isoformat(), "to": wanted.end.isoformat(), "region": wanted.region}
    return _page(shown, wanted, form, {})


@get("/{file:str}", name="statistics_csv")
async def export(
    file: FromPath[str],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    start: StartQuery = "",
    end: EndQuery = "",
    region: Annotated[str, QueryParameter(required=False)] = "",
) -> Response[bytes]:
    chart = file.removesuffix(".csv")
    if not file.endswith(".csv") or chart not in DOWNLOADS:
        raise unknown_chart()
    today = clock.now().astimezone(settings.zone).date()
    wanted = parse_filter(today, start[:20], end[:20], region[:12])
    table = await StatisticsService(db, settings, clock).export(staff_or_none, chart, wanted)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([[_inert(value) for value in row] for row in table.rows])
    name = f"{chart}-{wanted.start.isoformat()}-{wanted.end.isoformat()}{'-' + wanted.region if wanted.region else ''}"
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
        },
    )


def _inert(value: object) -> object:
    """A text cell (a checkpoint's name) that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


router = Router(path=DESK_PATH, route_handlers=[overview, export], include_in_schema=False)
