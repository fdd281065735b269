"""Declaring for a card (one's own or a family member's), previewing what the answers do to the
colour before they are kept, and the history of versions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.service import CardService, CardView, make_card_service
from healthcode.colours.facts import declaration_fact, facts_for, risk_areas
from healthcode.colours.service import ColourService, make_colour_service
from healthcode.config import Settings
from healthcode.db.models import Card, Declaration
from healthcode.domain.clock import Clock
from healthcode.domain.colours import Decision, evaluate
from healthcode.domain.declarations import Answers, check_answers
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.privacy.sealed import Sealer


@dataclass(frozen=True)
class Declared:
    """A kept declaration and the card's colour after it, with its reasons (opened)."""

    declaration: Declaration
    card: Card
    reasons: list[dict[str, Any]]


def answers_from(data: dict[str, Any]) -> Answers:
    """Check raw answers (API body or form) into :class:`Answers`."""
    return check_answers(
        temperature=data.get("temperature"),
        symptoms=data.get("symptoms") or [],
        travel_regions=data.get("travel_regions") or [],
        contact_with_case=bool(data.get("contact_with_case")),
        under_quarantine=bool(data.get("under_quarantine")),
        case_status=str(data.get("case_status") or "none"),
        address_region=str(data.get("address_region") or ""),
        address_detail=str(data.get("address_detail") or ""),
        pledge=bool(data.get("pledge")),
    )


class DeclarationService:
    """Declarations for cards the resident holds. A correction is simply a newer version: the
    rules read the latest one, and never let it clear an authority list or a recode."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, cards: CardService, colours: ColourService):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.cards = cards
        self.colours = colours

    async def issued_card(self, resident_id: int, public_id: str) -> CardView:
        """One of the resident's cards, issued and on an active link (only those are declared for)."""
        view = await self.cards.get(resident_id, public_id)
        _require_issued(view)
        return view

    async def preview(self, resident_id: int, public_id: str, answers: Answers) -> Decision:
        """The colour these answers would give, with the card's other facts, without keeping them."""
        return await self.preview_card(await self.issued_card(resident_id, public_id), answers)

    async def preview_card(self, view: CardView, answers: Answers) -> Decision:
        """:meth:`preview` for a card the caller has read already."""
        _require_issued(view)
        return await self.preview_for(view.card, answers)

    async def preview_for(self, card: Card, answers: Answers) -> Decision:
        """:meth:`preview` for an issued card, whoever declares for it (a phone or a desk)."""
        now = self.clock.now()
        areas = await risk_areas(self.db, now.astimezone(self.settings.zone).date())
        facts = (await facts_for(self.db, Sealer(self.settings.keyring), [card], areas, self.settings.zone))[card.id]
        facts = replace(facts, declaration=declaration_fact(_declaration(answers, now)))
        return evaluate(await self.colours.ruleset(), facts, now, self.settings.zone)

    async def declare(self, resident_id: int, public_id: str, answers: Answers) -> Declared:
        """Keep a new version and recolour the card at once."""
        return await self.declare_card(await self.issued_card(resident_id, public_id), answers)

    async def declare_card(self, view: CardView, answers: Answers) -> Declared:
        """:meth:`declare` for a card the caller has read already."""
        _require_issued(view)
        return await self.keep(view.card, answers, declared_by=view.holder.resident_id)

    async def keep(
        self, card: Card, answers: Answers, *, declared_by: int | None = None, taken_by: str | None = None
    ) -> Declared:
        """A new version for an issued card, made from a phone (``declared_by``, the resident) or
        taken at a designated institution's desk (``taken_by``, the clerk); the card is recoloured
        at once. The caller has checked that the card is issued."""
        version = int(
            await self.db.scalar(
                select(func.coalesce(func.max(Declaration.version), 0)).where(Declaration.card_id == card.id)
            )
            or 0
        )
        declaration = _declaration(
            answers,
            self.clock.now(),
            card_id=card.id,
            version=version + 1,
            declared_by=declared_by,
            taken_by=taken_by,
            address_region=answers.address_region,
            address_detail_enc=b"",
            pledge=True,
        )
        self.db.add(declaration)
        await self.db.flush()
        Sealer(self.settings.keyring).seal_text(declaration, "address_detail_enc", answers.address_detail)
        await self.colours.recompute([card.id])
        await self.db.commit()
        await self.db.refresh(card)
        return Declared(declaration, card, Sealer(self.settings.keyring).open_reasons(card.id, card.colour_reasons_enc))

    async def last_address(self, view: CardView) -> tuple[str, str] | None:
        """The region code and address detail of the latest declaration this phone made for the
        card, to offer again (another phone's declarations are not shown here)."""
        latest = await self.db.scalar(
            select(Declaration)
            .where(Declaration.card_id == view.card.id, Declaration.declared_by == view.holder.resident_id)
            .order_by(Declaration.version.desc())
            .limit(1)
        )
        if latest is None:
            return None
        return latest.address_region, Sealer(self.settings.keyring).open_text(latest, "address_detail_enc")

    async def history(self, resident_id: int, public_id: str) -> list[Declaration]:
        """Every version for the card, newest first."""
        view = await self.issued_card(resident_id, public_id)
        rows = await self.db.scalars(
            select(Declaration).where(Declaration.card_id == view.card.id).order_by(Declaration.version.desc())
        )
        return list(rows)


ANSWER_SOURCES = frozenset({"declaration", "risk_area"})
"""Sources of reasons the resident's answers cause (a declared symptom, travel to a risk area)."""


def _require_issued(view: CardView) -> None:
    if view.status != "approved":
        raise not_issued()


def not_issued() -> Conflict:
    """A declaration for a card whose real-name check has not passed yet."""
    return Conflict(
        "card_not_approved",
        N_("This card is not issued yet: declare once the real-name check has passed."),
        field="card_id",
    )


def _declaration(answers: Answers, declared_at: datetime, **row: Any) -> Declaration:
    """The row of these answers as far as the rules read them, with the other columns in ``row``."""
    return Declaration(
        **row,
        declared_at=declared_at,
        temperature=answers.temperature,
        symptoms=[s.value for s in answers.symptoms],
        travel_regions=list(answers.travel_regions),
        contact_with_case=answers.contact_with_case,
        under_quarantine=answers.under_quarantine,
        case_status=answers.case_status.value,
    )


def own_part(decision: Decision) -> Decision | None:
    """What the answers themselves cause (a list or a recode is not the resident's doing, and
    declaring cannot change it), with its own worst colour; None when they cause nothing."""
    own = tuple(reason for reason in decision.reasons if reason.source in ANSWER_SOURCES)
    if not own:
        return None
    return replace(decision, reasons=own, colour=max((r.colour for r in own), key=lambda c: c.rank))


def make_declaration_service(db: AsyncSession, settings: Settings, clock: Clock) -> DeclarationService:
    return DeclarationService(
        db, settings, clock, make_card_service(db, settings, clock), make_colour_service(db, settings, clock)
    )
