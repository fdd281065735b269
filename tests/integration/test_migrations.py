"""Migrations build exactly the schema the models describe, and go down again."""

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from stdnum.cn import ric

from healthcode.audit.service import AuditTrail
from healthcode.cards.service import make_card_service
from healthcode.config import Settings
from healthcode.db import models  # noqa: F401
from healthcode.db.base import Base
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.migrate import downgrade, upgrade
from healthcode.db.models import Ticket
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.audit import head_seal
from healthcode.domain.clock import FixedClock
from healthcode.support.service import SupportService
from tests import factories

NUMBER = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


def test_downgrade_to_nothing_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    upgrade(database_url)


def test_cards_made_before_opaque_identifiers_get_one_each_and_lose_the_default_green(database_url: str) -> None:
    async def insert_cards() -> None:
        engine = make_engine(database_url)
        async with engine.begin() as connection:
            for n in range(3):
                await connection.execute(
                    text(
                        "INSERT INTO cards (card_id, document_type, document_index, document_enc, name_enc,"
                        " masked_name, masked_document, status, created_at, colour, colour_reasons)"
                        " VALUES (:card, 'resident_id', :index, :blob, :blob, '张*', '1501**********0001',"
                        " 'approved', :now, 'green', '[]')"
                    ),
                    {"card": f"{n:064X}", "index": f"{n:064x}", "blob": b"", "now": datetime(2026, 12, 1, tzinfo=UTC)},
                )
        await engine.dispose()

    async def public_ids() -> list[tuple[str, str | None]]:
        engine = make_engine(database_url)
        async with engine.connect() as connection:
            found = [tuple(row) for row in await connection.execute(text("SELECT public_id, colour FROM cards"))]
        await engine.dispose()
        return found

    downgrade(database_url, "0008")
    asyncio.run(insert_cards())
    upgrade(database_url)
    rows = asyncio.run(public_ids())
    assert len({public_id for public_id, _ in rows}) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", public_id) for public_id, _ in rows)
    assert [colour for _, colour in rows] == [None] * 3, "never declared: no colour"


def test_a_head_written_before_seals_existed_is_sealed_with_the_key_db_upgrade_passes(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(env="test", var_dir=tmp_path / "var", database_url=database_url)

    async def record_three() -> None:
        engine = make_engine(database_url)
        async with make_sessionmaker(engine)() as db:
            trail = AuditTrail(db, settings.audit_key, FixedClock(datetime(2026, 12, 1, tzinfo=UTC)))
            for n in range(3):
                await trail.record("cli", "keys.generate", f"key:{n}")
            await db.commit()
        await engine.dispose()

    async def head() -> tuple[int, str, str | None]:
        engine = make_engine(database_url)
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT seq, digest, seal FROM audit_head"))).one()
        await engine.dispose()
        return int(row[0]), str(row[1]), row[2]

    asyncio.run(record_three())
    downgrade(database_url, "0014")
    with pytest.raises(RuntimeError, match="needs the audit key"):
        upgrade(database_url)
    upgrade(database_url, settings=settings)
    seq, digest, seal = asyncio.run(head())
    assert seq == 3
    assert seal == head_seal(settings.audit_key.encode(), seq, digest)


@pytest.mark.settings(realname_delay_s=0)
async def test_free_text_written_before_it_was_sealed_is_sealed_by_db_upgrade_and_reads_the_same(
    database_url: str, settings: Settings, db: AsyncSession, clock: FixedClock
) -> None:
    """Data made now, taken down to 0015 (where it lies in clear), and brought up again: without
    the keys the upgrade refuses and changes nothing; with them every text reads as it was."""
    resident = await factories.resident(db, clock)
    view = await factories.card_application(
        db, settings, clock, resident.id, document_type="resident_id", number=NUMBER
    )
    await SupportService(db, settings, clock).file(resident.id, "other", f"我的身份证号 {NUMBER} 填错了")
    fever = answers_from({**factories.HEALTHY_ANSWERS, "temperature": 38.6})
    reasons_before = (
        await make_declaration_service(db, settings, clock).declare(resident.id, view.card.public_id, fever)
    ).reasons
    assert reasons_before, "a declared card has its reasons"
    await db.close()

    await asyncio.to_thread(downgrade, database_url, "0015", settings=settings)
    clear = await _one(database_url, "SELECT text FROM tickets")
    assert NUMBER in clear
    with pytest.raises(RuntimeError, match="needs the data keys"):
        await asyncio.to_thread(upgrade, database_url)
    assert await _one(database_url, "SELECT text FROM tickets") == clear, "a refused upgrade changes nothing"
    await asyncio.to_thread(upgrade, database_url, settings=settings)

    async with make_sessionmaker(make_engine(database_url))() as fresh:
        [ticket] = await SupportService(fresh, settings, clock).mine(resident.id)
        assert ticket.text == f"我的身份证号 {NUMBER} 填错了"
        again = await make_card_service(fresh, settings, clock).get(resident.id, view.card.public_id)
        assert again.reasons == reasons_before
        stored = await fresh.scalar(select(Ticket.text_enc))
        assert stored is not None
        assert NUMBER.encode() not in stored


async def _one(database_url: str, query: str) -> Any:
    engine = make_engine(database_url)
    async with engine.connect() as connection:
        value = (await connection.execute(text(query))).scalar_one()
    await engine.dispose()
    return value
