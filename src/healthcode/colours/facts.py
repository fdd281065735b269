"""Loading the facts the rules engine reads, for many cards at once (imports recolour in bulk)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.db.models import (
    Card,
    Declaration,
    FeverRecord,
    ListEntry,
    RecodeRecord,
    RiskAreaRecord,
    TestResultRecord,
)
from healthcode.domain.colours import Colour, Facts, FeverReading, Recode, RiskArea, TestResult
from healthcode.domain.colours import Declaration as DeclarationFact
from healthcode.domain.colours import ListEntry as ListFact
from healthcode.domain.colours.matching import local_midnight
from healthcode.domain.recodes import RECODE_REASONS
from healthcode.i18n import LANGUAGES, translate
from healthcode.privacy.sealed import Sealer

# Risk areas lifted longer ago than this cannot matter to a 14-day travel window any more.
AREA_MEMORY = timedelta(days=30)


def declaration_fact(row: Declaration) -> DeclarationFact:
    return DeclarationFact(
        declared_at=row.declared_at,
        temperature=row.temperature,
        symptoms=frozenset(row.symptoms),
        travel_regions=tuple(row.travel_regions),
        contact_with_case=row.contact_with_case,
        under_quarantine=row.under_quarantine,
        case_status=row.case_status,
    )


async def risk_areas(db: AsyncSession, today: date) -> tuple[RiskArea, ...]:
    rows = await db.scalars(
        select(RiskAreaRecord).where(
            (RiskAreaRecord.effective_to.is_(None)) | (RiskAreaRecord.effective_to >= today - AREA_MEMORY)
        )
    )
    return tuple(RiskArea(r.region_code, r.level, r.effective_from, r.effective_to) for r in rows)


def latest_declarations(*columns: Any, where: Sequence[ColumnElement[bool]] = ()) -> Select[Any]:
    """Each card's latest declaration among those matching ``where`` (the whole rows, or
    ``columns``); versions only grow with time, so "the latest since a date" is the latest overall
    when that one is recent enough."""
    latest = (
        select(Declaration.card_id, func.max(Declaration.version).label("version"))
        .where(*where)
        .group_by(Declaration.card_id)
        .subquery()
    )
    return select(*(columns or (Declaration,))).join(
        latest, (Declaration.card_id == latest.c.card_id) & (Declaration.version == latest.c.version)
    )


async def facts_for(
    db: AsyncSession, sealer: Sealer, cards: Sequence[Card], areas: tuple[RiskArea, ...], zone: ZoneInfo
) -> dict[int, Facts]:
    """Facts of each card, in six queries whatever the number of cards (recodes' notes for the
    resident are opened with ``sealer``).

    A laboratory result names only the day its sample was taken: it counts as taken at 00:00 that
    day in ``zone``, the region's, so the rules see the day the laboratory wrote."""
    ids = [card.id for card in cards]
    declarations = {
        row.card_id: declaration_fact(row)
        for row in await db.scalars(latest_declarations(where=[Declaration.card_id.in_(ids)]))
    }
    by_index: dict[str, list[ListFact]] = defaultdict(list)
    for entry in await db.scalars(
        select(ListEntry).where(
            ListEntry.document_index.in_([card.document_index for card in cards]), ListEntry.cleared_at.is_(None)
        )
    ):
        by_index[entry.document_index].append(ListFact(entry.kind, entry.since, entry.until))
    tests: dict[str, list[TestResult]] = defaultdict(list)
    for result in await db.scalars(
        select(TestResultRecord)
        .where(TestResultRecord.document_index.in_([card.document_index for card in cards]))
        .order_by(TestResultRecord.taken_on)
    ):
        tests[result.document_index].append(TestResult(local_midnight(result.taken_on, zone), result.positive))
    recodes: dict[int, list[Recode]] = defaultdict(list)
    for recode in await db.scalars(
        select(RecodeRecord).where(RecodeRecord.card_id.in_(ids), RecodeRecord.status == "approved")
    ):
        recodes[recode.card_id].append(
            Recode(
                Colour(recode.colour),
                recode.reason_code,
                recode.decided_at or recode.proposed_at,
                recode.until,
                sealer.open_optional_text(recode, "resident_note_enc") or "",
                {language: translate(RECODE_REASONS[recode.reason_code], language) for language in LANGUAGES},
            )
        )
    fevers: dict[int, list[FeverReading]] = defaultdict(list)
    for reading in await db.scalars(
        select(FeverRecord).where(FeverRecord.card_id.in_(ids)).order_by(FeverRecord.taken_at)
    ):
        fevers[reading.card_id].append(FeverReading(reading.taken_at, reading.temperature))
    return {
        card.id: Facts(
            declaration=declarations.get(card.id),
            lists=tuple(by_index.get(card.document_index, ())),
            risk_areas=areas,
            tests=tuple(tests.get(card.document_index, ())),
            recodes=tuple(recodes.get(card.id, ())),
            fever_readings=tuple(fevers.get(card.id, ())),
        )
        for card in cards
    }
