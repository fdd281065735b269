"""Recolouring passes that overlap (several workers, a job and a declaration) store each change
once and text it once, and a pass that read a card before it changed never overwrites the newer
colour (cards.colour_stamp, healthcode.colours.service)."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from stdnum.cn import ric

from healthcode.colours import service as colour_module
from healthcode.colours.service import make_colour_service
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.models import Card, ListImport, RiskAreaRecord, SmsOutboxMessage
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.clock import FixedClock
from tests import factories
from tests.integration.test_declarations import HEALTHY, issued_card

pytestmark = pytest.mark.settings(realname_delay_s=0)


def hold_after_reading(monkeypatch: pytest.MonkeyPatch, hold: Callable[[], Awaitable[None]]) -> None:
    """Make every recolouring pass run ``hold`` after reading its cards' facts, the first time only."""
    real = colour_module.facts_for
    held: set[asyncio.Task[Any] | None] = set()

    async def facts_then_hold(*args: Any) -> Any:
        facts = await real(*args)
        task = asyncio.current_task()
        if task not in held:
            held.add(task)
            await hold()
        return facts

    monkeypatch.setattr(colour_module, "facts_for", facts_then_hold)


async def texts(db: AsyncSession) -> list[str]:
    db.expire_all()
    return list(await db.scalars(select(SmsOutboxMessage.text).order_by(SmsOutboxMessage.id)))


async def test_three_overlapping_passes_text_a_change_once(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, card = await issued_card(db, settings, clock)
    upload = ListImport(kind="areas", filename="a.csv", uploaded_by="staff:1", created_at=clock.now(), status="done")
    db.add(upload)
    await db.flush()
    since = clock.now().date() - timedelta(days=5)
    db.add(
        RiskAreaRecord(
            region_code="420100", level="medium", effective_from=since, effective_to=None, import_id=upload.id
        )
    )
    await db.commit()
    declared = await make_declaration_service(db, settings, clock).declare(
        me, card, answers_from({**HEALTHY, "travel_regions": ["420102"]})
    )
    assert declared.card.colour == "yellow"
    before = await texts(db)
    clock.advance(days=8)  # seven days after the trip: green by itself, at the next pass

    all_read = asyncio.Barrier(3)
    hold_after_reading(monkeypatch, all_read.wait)
    sessions = make_sessionmaker(engine)

    card_id = await db.scalar(select(Card.id).where(Card.public_id == card))
    assert card_id is not None

    async def one_pass() -> int:  # as three writers that all read the card before any stored it
        async with sessions() as own:
            changed = await make_colour_service(own, settings, clock).recompute([card_id])
            await own.commit()
            return changed

    changed = await asyncio.wait_for(asyncio.gather(one_pass(), one_pass(), one_pass()), timeout=60)
    assert sorted(changed) == [0, 0, 1], "one pass stores the change, the others find it done"
    new = (await texts(db))[len(before) :]
    assert len(new) == 1, new
    assert "绿码" in new[0]
    db.expire_all()
    assert await db.scalar(select(Card.colour).where(Card.public_id == card)) == "green"


async def test_a_pass_that_read_before_a_declaration_does_not_overwrite_it(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, card = await issued_card(db, settings, clock)
    await make_declaration_service(db, settings, clock).declare(me, card, answers_from(HEALTHY))
    card_id = await db.scalar(select(Card.id).where(Card.public_id == card))
    assert card_id is not None
    before = await texts(db)
    sessions = make_sessionmaker(engine)
    fevers: list[str] = []

    async def a_fever_is_declared_meanwhile() -> None:
        async with sessions() as other:
            fevers.append(
                (
                    await make_declaration_service(other, settings, clock).declare(
                        me, card, answers_from({**HEALTHY, "temperature": 38.6, "symptoms": ["fever"]})
                    )
                ).card.colour
            )

    hold_after_reading(monkeypatch, a_fever_is_declared_meanwhile)
    async with sessions() as slow:
        assert await make_colour_service(slow, settings, clock).recompute([card_id]) == 0
        await slow.commit()
    assert fevers == ["yellow"]
    db.expire_all()
    assert await db.scalar(select(Card.colour).where(Card.id == card_id)) == "yellow", "the stale green is not stored"
    new = (await texts(db))[len(before) :]
    assert len(new) == 1, new
    assert "黄码" in new[0]


async def test_workers_rechecking_at_once_share_the_due_cards(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: each chunk of due cards is claimed (SKIP LOCKED), so two workers recolour
    different cards instead of the same ones twice."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the parallel case is PostgreSQL's")
    monkeypatch.setattr(colour_module, "CHUNK", 3)
    for n in range(7):
        number = f"1101051949123100{n}"
        holder = await factories.resident(db, clock, f"1390013900{n}")
        view = await factories.card_application(
            db,
            settings,
            clock,
            holder.id,
            document_type="resident_id",
            number=number + ric.calc_check_digit(number + "0"),
        )
        assert view.status == "approved"
    await db.execute(update(Card).values(recheck_at=clock.now() - timedelta(minutes=1)))
    await db.commit()
    recomputed: list[list[int]] = [[], []]
    real = colour_module.ColourService.recompute
    both_claimed = asyncio.Barrier(2)

    async def recompute(self: colour_module.ColourService, ids: Any, **kwargs: Any) -> int:
        recomputed[self.worker].extend(ids)  # type: ignore[attr-defined]
        if len(recomputed[self.worker]) == len(list(ids)):  # type: ignore[attr-defined]
            await both_claimed.wait()  # each holds its first chunk while the other claims
        return await real(self, ids, **kwargs)

    monkeypatch.setattr(colour_module.ColourService, "recompute", recompute)
    sessions = make_sessionmaker(engine)

    async def worker(number: int) -> int:
        async with sessions() as own:
            service = make_colour_service(own, settings, clock)
            service.worker = number  # type: ignore[attr-defined]
            return await service.recheck_due()

    await asyncio.wait_for(asyncio.gather(worker(0), worker(1)), timeout=60)
    first, second = recomputed
    assert first, "both took a share"
    assert second, "both took a share"
    assert not set(first) & set(second), "no card twice"
    assert len(first) + len(second) == 7
