"""The checkpoint desk (SPEC §8) through its services, on a real database."""

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.checkpoints.service import (
    CheckpointService,
    Desk,
    OfflineScan,
    Scanned,
    parse_temperature,
)
from healthcode.checkpoints.sites import SiteService
from healthcode.codes.keys import KeyService
from healthcode.codes.memory import KeyMemory
from healthcode.codes.verification import make_verifier
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.models import AuditRecord, Card, FeverRecord, Scan, Site
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Forbidden, InvalidInput, NotFound
from healthcode.domain.passage import Decision, PassException
from tests import factories
from tests.integration.test_cards import ADULT

pytestmark = pytest.mark.settings(realname_delay_s=0)


@dataclass(frozen=True)
class World:
    desk: Desk
    card_id: int
    public_id: str
    resident_id: int


@pytest.fixture
async def world(db: AsyncSession, settings: Settings, clock: FixedClock) -> World:
    """An approved resident-ID card, and a checkpoint official bound to a site."""
    resident = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, resident.id, document_type="resident_id", number=ADULT)
    card = await db.scalar(select(Card).where(Card.public_id == view.card.public_id))
    assert card is not None
    assert card.status == "approved"
    official = await factories.staff(db, settings, clock, roles=("checkpoint",), username="gate")
    sites = SiteService(db, settings, clock)
    site = await sites.create("新华广场东门", "150102")
    await sites.bind("gate", site.id)
    desk = await CheckpointService(db, settings, clock).desk(factories.staff_principal(official))
    return World(desk, card.id, card.public_id, resident.id)


async def test_a_scanned_live_code_is_logged_with_site_staff_and_device(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock, world: World
) -> None:
    await KeyService(db, settings, clock).generate("test")
    token = await factories.live_token(db, settings, clock, world.public_id)
    result = await make_verifier(make_sessionmaker(engine), settings, clock, KeyMemory()).verify(token)
    assert (result.valid, result.colour) == (True, "green")
    service = CheckpointService(db, settings, clock)
    scanned = Scanned(result.reason, result.colour, result.masked_name, result.masked_document, result.issuer, "live")
    scan = await service.log_scan(world.desk, scanned, "Scanner/1.0 " + "x" * 500)
    assert (scan.site_id, scan.staff_id) == (world.desk.site.id, world.desk.staff.id)
    assert scan.device.startswith("Scanner/1.0")
    assert len(scan.device) == 200
    assert (scan.reason, scan.colour, scan.masked_name, scan.token_kind) == ("ok", "green", "张*丰", "live")
    assert scan.masked_document is not None
    assert scan.masked_document.endswith(ADULT[-4:])
    assert scan.card_id is None, "a live token names no card"
    assert not scan.manual

    decided = await service.decide(world.desk, scan.id, "deny", "38.2")
    assert (decided.decision, decided.temperature) == ("deny", 38.2)
    assert decided.decided_at == clock.now()
    assert list(await db.scalars(select(FeverRecord))) == [], "no card to hold the reading"
    card = await db.get(Card, world.card_id)
    assert card is not None
    assert card.colour == "green"


async def test_a_manual_check_with_a_fever_turns_the_card_yellow(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    scan = await CheckpointService(db, settings, clock).manual_check(
        world.desk, "resident_id", ADULT.lower(), "38.0", "Tablet"
    )
    assert scan.manual
    assert scan.reason == "manual"
    assert (scan.card_id, scan.temperature, scan.colour) == (world.card_id, 38.0, "yellow")
    fevers = list(await db.scalars(select(FeverRecord)))
    assert [(f.card_id, f.scan_id, f.temperature) for f in fevers] == [(world.card_id, scan.id, 38.0)]
    card = await db.scalar(select(Card).where(Card.id == world.card_id).execution_options(populate_existing=True))
    assert card is not None
    assert card.colour == "yellow"
    assert [r["rule"] for r in factories.reasons_of(settings, card)] == ["checkpoint.fever"]
    audit = await db.scalar(select(AuditRecord).where(AuditRecord.action == "checkpoint.manual_check"))
    assert audit is not None
    assert (audit.actor, audit.subject) == (f"staff:{world.desk.staff.id}", f"card:{world.public_id}")


async def test_a_normal_temperature_leaves_the_colour(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    service = CheckpointService(db, settings, clock)
    scan = await service.manual_check(world.desk, "resident_id", ADULT, "36.6", "Tablet")
    assert (scan.colour, scan.temperature) == ("green", 36.6)
    with pytest.raises(NotFound) as missing:
        await service.manual_check(world.desk, "passport", "E99999999", "", "Tablet")
    assert missing.value.code == "checkpoint_card_not_found"
    with pytest.raises(InvalidInput) as wrong:
        await service.decide(world.desk, scan.id, "maybe", "")
    assert wrong.value.code == "decision_invalid"


def scanned(colour: str | None, reason: str = "ok") -> Scanned:
    return Scanned(reason, colour, "张*丰", "1501**********123X", "CN-150100", "live")


async def exceptions_audited(db: AsyncSession) -> list[AuditRecord]:
    return list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "checkpoint.exception")))


@pytest.mark.parametrize(
    ("colour", "reason"), [("red", "ok"), ("yellow", "ok"), ("green", "expired"), (None, "malformed")]
)
async def test_only_an_exception_with_its_reason_lets_through_what_is_not_a_valid_green_code(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World, colour: str | None, reason: str
) -> None:
    service = CheckpointService(db, settings, clock)
    scan = await service.log_scan(world.desk, scanned(colour, reason), "Tablet")
    for exception in ("", "because"):
        with pytest.raises(InvalidInput) as refused:
            await service.decide(world.desk, scan.id, "allow", "36.5", exception_raw=exception)
        assert (refused.value.code, refused.value.field) == ("exception_reason_required", "exception_reason")
        await db.rollback()
    unchanged = await db.get(Scan, scan.id)
    assert unchanged is not None
    assert (unchanged.decision, unchanged.temperature) == (None, None)
    assert await exceptions_audited(db) == []

    decided = await service.decide(world.desk, scan.id, "allow", "36.5", exception_raw="fever_clinic")
    assert (decided.decision, decided.exception_reason) == ("allow", "fever_clinic")
    [entry] = await exceptions_audited(db)
    assert entry.subject == f"scan:{scan.id}"
    assert json.loads(entry.detail) == {
        "site": world.desk.site.id,
        "verdict": reason,
        "colour": colour,
        "exception": "fever_clinic",
    }


async def test_refusing_needs_no_reason_and_a_green_code_needs_no_exception(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    service = CheckpointService(db, settings, clock)
    red = await service.log_scan(world.desk, scanned("red"), "Tablet")
    refused = await service.decide(world.desk, red.id, "deny", "", exception_raw="escorted")
    assert (refused.decision, refused.exception_reason) == ("deny", None), "an exception needs a person let through"
    green = await service.log_scan(world.desk, scanned("green"), "Tablet")
    allowed = await service.decide(world.desk, green.id, "allow", "36.5", exception_raw="escorted")
    assert (allowed.decision, allowed.exception_reason) == ("allow", None)
    assert await exceptions_audited(db) == []


async def test_a_fever_at_the_gate_makes_a_green_code_an_exception(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    service = CheckpointService(db, settings, clock)
    scan = await service.log_scan(world.desk, scanned("green"), "Tablet")
    with pytest.raises(InvalidInput) as refused:
        await service.decide(world.desk, scan.id, "allow", "38.0")
    assert refused.value.code == "exception_reason_required"
    await db.rollback()
    decided = await service.decide(world.desk, scan.id, "allow", "38.0", exception_raw="fever_clinic")
    assert (decided.exception_reason, decided.temperature) == ("fever_clinic", 38.0)


async def test_a_site_that_takes_temperatures_lets_no_one_through_without_one(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    official = await factories.staff(db, settings, clock, roles=("checkpoint",), username="gate")
    sites = SiteService(db, settings, clock)
    site = await sites.create("火车站进站口", "150102", temperature_required=True)
    await sites.bind("gate", site.id)
    service = CheckpointService(db, settings, clock)
    desk = await service.desk(factories.staff_principal(official))
    scan = await service.log_scan(desk, scanned("green"), "Tablet")
    with pytest.raises(InvalidInput) as missing:
        await service.decide(desk, scan.id, "allow", " ")
    assert (missing.value.code, missing.value.field) == ("temperature_required", "temperature")
    await db.rollback()
    desk = await service.desk(factories.staff_principal(official))
    assert (await service.decide(desk, scan.id, "deny", "")).decision == "deny", "refusing needs no temperature"
    again = await service.log_scan(desk, scanned("green"), "Tablet")
    assert (await service.decide(desk, again.id, "allow", "36.4")).decision == "allow"


def test_temperatures_are_read_leniently_and_checked() -> None:
    assert parse_temperature("") is None
    assert parse_temperature(" 36,5 ℃") == 36.5
    assert parse_temperature("37.3") == 37.3
    for bad in ("hot", "3.7", "50"):
        with pytest.raises(InvalidInput):
            parse_temperature(bad)


async def test_only_a_bound_checkpoint_account_gets_a_desk(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    service = CheckpointService(db, settings, clock)
    unbound = await factories.staff(db, settings, clock, roles=("checkpoint",), username="gate")
    with pytest.raises(Forbidden) as no_site:
        await service.desk(factories.staff_principal(unbound))
    assert no_site.value.code == "checkpoint_site_missing"
    reviewer = await factories.staff(db, settings, clock)
    with pytest.raises(Forbidden) as no_role:
        await service.desk(factories.staff_principal(reviewer))
    assert no_role.value.code == "staff_role_missing"

    sites = SiteService(db, settings, clock)
    site = await sites.create(" 东站  进站口 ", "150102")
    assert site.name == "东站 进站口"
    with pytest.raises(InvalidInput):
        await sites.bind("reviewer", site.id)
    with pytest.raises(NotFound):
        await sites.bind("gate", site.id + 1)
    with pytest.raises(InvalidInput):
        await sites.create("X", "15010")
    await sites.bind("gate", site.id)
    second = await sites.create("西门", "150103")
    await sites.bind("gate", second.id)
    desk = await service.desk(factories.staff_principal(unbound))
    assert desk.site.id == second.id
    assert len(list(await db.scalars(select(Site)))) == 2
    assert list(await db.scalars(select(Scan))) == []


async def test_the_demo_binding_is_made_once(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    await factories.staff(db, settings, clock, roles=("checkpoint",), username="demo-checkpoint")
    sites = SiteService(db, settings, clock)
    first = await sites.ensure_bound("demo-checkpoint", "演示检查点", "150102")
    again = await sites.ensure_bound("demo-checkpoint", "演示检查点", "150102")
    assert first.id == again.id
    assert len(await sites.all()) == 1


async def test_an_offline_refusal_carries_no_exception(
    db: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    service = CheckpointService(db, settings, clock)
    uploads = [
        OfflineScan("device-ref-0001", scanned("red"), clock.now(), 36.5, Decision.DENY, PassException.ESCORTED),
        OfflineScan("device-ref-0002", scanned("red"), clock.now(), 36.5, Decision.ALLOW, PassException.ESCORTED),
    ]
    await service.record_offline(world.desk, uploads, "Tablet")
    rows = {scan.device_ref: scan for scan in await db.scalars(select(Scan))}
    assert (rows["device-ref-0001"].decision, rows["device-ref-0001"].exception_reason) == ("deny", None)
    assert (rows["device-ref-0002"].decision, rows["device-ref-0002"].exception_reason) == ("allow", "escorted")
    assert len(await exceptions_audited(db)) == 1
