"""The administrators' page of what the platform keeps and for how long (SPEC §12): each kind of
personal data, the days it is kept and the setting that says so. Read-only: retention is set by
the deployment's settings, so that it is the same on every server and in the docs."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import Template

from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.privacy.retention import retentions
from healthcode.staff.service import StaffService

DESK_PATH = "/staff/privacy"
DESKS = [Desk(Role.ADMIN, DESK_PATH, N_("Data retention"))]


@get("/", name="retention")
async def retention(staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    await StaffService(db, settings, clock).authorize(staff_or_none, Role.ADMIN)
    return Template(template_name="privacy/retention.html", context={"kinds": retentions(settings)})


router = Router(path=DESK_PATH, route_handlers=[retention], include_in_schema=False)
