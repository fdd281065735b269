"""Retention (SPEC §12): what is past its time is purged, what the rules still read is kept, and
the purge runs once an hour in the whole cluster."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from stdnum.cn import ric

from healthcode.background import JobContext
from healthcode.config import Settings
from healthcode.db.leases import Leases
from healthcode.db.models import (
    ApplicationPhoto,
    AuditRecord,
    AuthSession,
    Declaration,
    SmsOutboxMessage,
    TestResultRecord,
    Ticket,
)
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.clock import FixedClock
from healthcode.lists.service import make_list_import_service
from healthcode.privacy.jobs import purge_expired
from healthcode.privacy.retention import Purge, retentions
from healthcode.sms.provider import OutboxProvider
from healthcode.support.service import SupportService
from tests import factories

pytestmark = pytest.mark.settings(realname_delay_s=0)


async def count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_data_past_its_time_goes_and_what_the_rules_read_stays(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.logged_in_resident(db, settings, clock)
    number = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
    view = await factories.card_application(
        db, settings, clock, resident.resident.id, document_type="resident_id", number=number
    )
    assert await count(db, ApplicationPhoto) == 2
    declarations = make_declaration_service(db, settings, clock)
    await declarations.declare(resident.resident.id, view.card.public_id, answers_from(factories.HEALTHY_ANSWERS))
    await SupportService(db, settings, clock).file(resident.resident.id, "other", "请帮忙")
    await OutboxProvider(db, clock).send(factories.PHONE, "【健康码】测试")
    await db.commit()
    assert (await count(db, Declaration), await count(db, Ticket), await count(db, SmsOutboxMessage)) == (2, 1, 2)

    nothing = await Purge(db, settings, clock).run()
    assert set(nothing.values()) == {0}, "nothing is old yet"

    clock.advance(days=31)
    gone = await Purge(db, settings, clock).run()
    assert gone["photos"] == 2, "photos go days after the decision"
    assert gone["sms"] >= 1
    assert gone["declarations"] == 1, "the earlier declaration goes"
    assert gone["tickets"] == 0, "tickets are kept 180 days"
    assert await count(db, Declaration) == 1, "a card's latest declaration stays: its colour is made from it"
    assert await count(db, AuthSession) == 1, "a live login stays"
    [purge] = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "privacy.purge")))
    assert "请帮忙" not in purge.detail
    assert "13800138000" not in purge.detail

    clock.advance(days=180)
    later = await Purge(db, settings, clock).run()
    assert later["tickets"] == 1
    assert later["sessions"] == 1, "a login 30 days past its end goes"


async def test_test_results_follow_the_list_retention(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    number = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
    today = clock.now().astimezone(settings.zone).date().isoformat()
    imports = make_list_import_service(db, settings, clock)
    data = f"document_number,taken_on,result\n{number},{today},positive\n".encode()
    upload = await imports.queue("test", "tests", "tests.csv", data)
    assert (await imports.run(upload.id)).status == "done"
    assert await count(db, TestResultRecord) == 1

    clock.advance(days=settings.retention_list_days)
    kept = await Purge(db, settings, clock).run()
    assert await count(db, TestResultRecord) == 1, "kept while the sample is within the period"

    clock.advance(days=2)
    gone = await Purge(db, settings, clock).run()
    assert gone["lists"] >= 1
    assert await count(db, TestResultRecord) == 0
    assert kept["lists"] == 0


def test_every_kind_has_its_setting(settings: Settings) -> None:
    kinds = {r.kind: r.days for r in retentions(settings)}
    assert kinds == {
        "sms": 7,
        "sessions": 30,
        "declarations": 30,
        "scans": 30,
        "photos": 7,
        "tickets": 180,
        "lists": 90,
    }


async def test_the_purge_runs_once_an_hour_in_the_whole_cluster(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    first = JobContext(db, settings, clock, Leases(engine, clock, "worker-1"))
    second = JobContext(db, settings, clock, Leases(engine, clock, "worker-2"))
    await purge_expired(first)
    assert not await first.leases.once_every("privacy.purge.hourly", 3600), "not again within the hour"
    assert not await second.leases.once_every("privacy.purge.hourly", 3600), "nor by another worker"
    clock.advance(seconds=3601)
    assert await second.leases.once_every("privacy.purge.hourly", 3600)
