"""The staff API's statistics (API.md "Staff API"): ``GET /api/v1/statistics/colours``, cards by
colour at the end of each day, read from the rollups like the statistics page (scope
``statistics``; the call is audited under the key's account by the guard)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Router, get
from litestar.params import QueryParameter

from healthcode.apikeys.api import STAFF_API_SECURITY, StaffApiCaller, staff_api_key
from healthcode.domain.api_keys import Scope
from healthcode.domain.errors import InvalidInput, InvalidInputs
from healthcode.domain.i18n import N_
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep
from healthcode.statistics.filters import parse_filter
from healthcode.statistics.service import StatisticsService


class ColourDay(msgspec.Struct):
    """Cards by colour at the end of ``date`` (the day's last count), in ``region`` (with the
    regions inside it) or, when null, everywhere; ``none`` counts cards not declared yet."""

    date: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]
    region: str | None
    green: int
    yellow: int
    red: int
    none: int


class ColoursOut(msgspec.Struct):
    """Oldest first; a day the rollups did not count is left out."""

    days: list[ColourDay]


@get("/colours", summary="Cards by colour at the end of each day (scope statistics)")
async def colours(
    caller: StaffApiCaller,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    start: Annotated[str, QueryParameter(name="from", required=False, description="First day, YYYY-MM-DD")] = "",
    end: Annotated[
        str, QueryParameter(name="to", required=False, description="Last day, YYYY-MM-DD (at most 366 days)")
    ] = "",
    region: Annotated[
        str,
        QueryParameter(required=False, description="A GB/T 2260 region code; a city or province covers its districts"),
    ] = "",
) -> ColoursOut:
    """422 ``date_required``, ``date_invalid``, ``range_reversed``, ``range_too_long`` or
    ``region_invalid`` for a day range or region the call cannot be answered for."""
    missing = [
        InvalidInput("date_required", N_("Write the day as YYYY-MM-DD."), field=name)
        for name, value in (("from", start), ("to", end))
        if not value.strip()
    ]
    if missing:
        raise InvalidInputs(missing)
    wanted = parse_filter(clock.now().astimezone(settings.zone).date(), start, end, region)
    rows = await StatisticsService(db, settings, clock).colours_by_day(wanted.start, wanted.end, wanted.region or None)
    return ColoursOut([ColourDay(**row) for row in rows])


router = Router(
    path="/api/v1/statistics",
    route_handlers=[colours],
    dependencies={"caller": staff_api_key(Scope.STATISTICS)},
    security=STAFF_API_SECURITY,
    tags=["staff API"],
)
