"""Staff administration as the CLI and the pages share it: the rules that keep an administrator,
sessions ended with access, and no secret in the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, StaffSite
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Conflict, NotFound
from healthcode.sessions.service import PrincipalKind, SessionStore
from healthcode.staff.admin.service import StaffAdminService
from tests import factories


async def test_the_last_active_administrator_stays(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    first_id = (await factories.staff(db, settings, clock, roles=["admin"], username="first")).account.id
    admin = StaffAdminService(db, settings, clock)
    with pytest.raises(Conflict) as disabled:
        await admin.disable(first_id, actor="cli")
    assert disabled.value.code == "last_admin"
    await db.rollback()
    with pytest.raises(Conflict) as demoted:
        await admin.set_roles(first_id, ["support"], actor="cli")
    assert (demoted.value.code, demoted.value.field) == ("last_admin", "roles")
    await db.rollback()

    second_id = (await factories.staff(db, settings, clock, roles=["admin", "support"], username="second")).account.id
    await admin.set_roles(first_id, ["support"], actor=f"staff:{second_id}")
    with pytest.raises(Conflict) as self_disable:
        await admin.disable(second_id, actor=f"staff:{second_id}")
    assert self_disable.value.code == "admin_self_disable"
    await db.rollback()
    with pytest.raises(Conflict):
        await admin.disable(second_id, actor="cli")
    await db.rollback()
    assert (await admin.account(second_id)).account.active


async def test_disabling_and_new_credentials_end_every_session(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await factories.staff(db, settings, clock, roles=["admin"], username="boss")
    clerk = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk")
    store = SessionStore(db, clock)
    for device in ("phone", "desk"):
        await store.open(PrincipalKind.STAFF, clerk.account.id, timedelta(hours=8), device=device)
    await db.commit()
    admin = StaffAdminService(db, settings, clock)
    password = await admin.reset_password(clerk.account.id, actor="cli")
    assert await store.live(PrincipalKind.STAFF, clerk.account.id) == []
    await store.open(PrincipalKind.STAFF, clerk.account.id, timedelta(hours=8))
    await db.commit()
    await admin.disable(clerk.account.id, actor="cli")
    assert await store.live(PrincipalKind.STAFF, clerk.account.id) == []
    records = list(await db.scalars(select(AuditRecord).where(AuditRecord.action.like("admin.staff.%"))))
    assert [r.action for r in records][-2:] == ["admin.staff.reset_password", "admin.staff.disable"]
    assert '"sessions_ended": 2' in records[-2].detail
    assert all(password not in r.detail for r in records)


async def test_taking_the_checkpoint_role_away_unbinds_the_site(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    gate = await factories.staff(db, settings, clock, roles=["checkpoint"], username="gate")
    sites = SiteService(db, settings, clock)
    site = await sites.create("东门", "150102")
    await sites.bind("gate", site.id)
    assert [(a.username, s) for a, s in await sites.staffing()] == [("gate", site.id)]
    await StaffAdminService(db, settings, clock).set_roles(gate.account.id, ["clerk"], actor="cli")
    assert await db.get(StaffSite, gate.account.id) is None
    assert await sites.staffing() == []
    with pytest.raises(NotFound):
        await sites.unbind("gate")


async def test_editing_a_site_records_only_what_changed(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    sites = SiteService(db, settings, clock)
    site = await sites.create("东门", "150102")
    await sites.update(site.id, "东门", "150102", temperature_required=False)
    await sites.update(site.id, "东门", "150103", temperature_required=True)
    edits = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "admin.site.edit")))
    assert [e.detail for e in edits] == ['{"region_code": "150103", "temperature_required": true}']
