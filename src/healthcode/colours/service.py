"""Recomputing and storing card colours when their inputs change, never on read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.colours.facts import facts_for, risk_areas
from healthcode.config import Settings
from healthcode.db.base import table_of
from healthcode.db.models import Card, CardHolder, Resident, RuleSetRecord
from healthcode.domain.clock import Clock
from healthcode.domain.colours import Colour, Decision, Reason, RuleSet, default_ruleset, evaluate, load_ruleset
from healthcode.domain.i18n import N_
from healthcode.i18n import in_language, translate
from healthcode.sms.provider import SmsProvider, make_provider

CHUNK = 1000
_cards = table_of(Card)
# One prepared statement, executed many times: much cheaper than the ORM's bulk update per row.
STORE_COLOUR = (
    update(_cards)
    .where(_cards.c.id == bindparam("card"))
    .values(
        colour=bindparam("colour"),
        colour_reasons=bindparam("colour_reasons"),
        green_on=bindparam("green_on"),
        recheck_at=bindparam("recheck_at"),
        colour_changed_at=bindparam("colour_changed_at"),
    )
)
NO_COLOUR: dict[str, Any] = {
    "colour": None,
    "colour_reasons": [],
    "green_on": None,
    "recheck_at": None,
    "colour_changed_at": None,
}
"""What a card stores before its first declaration: no colour, no reasons (SPEC §7)."""
COLOUR_WORDS = {Colour.GREEN: N_("Green code"), Colour.YELLOW: N_("Yellow code"), Colour.RED: N_("Red code")}
CHANGED_TEXT = N_("[Health Code] The health code of {name} is now {colour}: {reason} Open Health Code for details.")
GREEN_TEXT = N_("[Health Code] The health code of {name} is green again.")


def reason_json(reason: Reason) -> dict[str, Any]:
    """One reason as JSON, in both languages: as kept on the card, and as the rules CLI prints it."""
    return {
        "rule": reason.rule_id,
        "colour": reason.colour.value,
        "source": reason.source,
        "text": reason.text,
        "green_when": reason.green_when,
        "green_on": reason.green_on.isoformat() if reason.green_on else None,
    }


def stored_reasons(decision: Decision) -> list[dict[str, Any]]:
    """The decision's reasons as kept on the card (JSON), in both languages."""
    return [reason_json(reason) for reason in decision.reasons]


@dataclass(frozen=True)
class Change:
    card: Card
    colour: Colour
    reason: str


class ColourService:
    """Evaluates the active rule set for cards and stores colour, reasons and the next recheck;
    residents are told by SMS when a colour changes."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, sms: SmsProvider):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.sms = sms

    async def ruleset(self) -> RuleSet:
        """The active rule set, or the packaged default when none was activated."""
        source = await self.db.scalar(select(RuleSetRecord.source).where(RuleSetRecord.active.is_(True)))
        return load_ruleset(source) if source else default_ruleset()

    async def recompute(self, card_ids: Iterable[int], *, notify: bool = True) -> int:
        """Recompute the given cards (in chunks); returns how many changed colour. The caller
        commits."""
        ids = sorted(set(card_ids))
        if not ids:
            return 0
        now = self.clock.now()
        rules = await self.ruleset()
        areas = await risk_areas(self.db, now.astimezone(self.settings.zone).date())
        changed = 0
        for start in range(0, len(ids), CHUNK):
            cards = list(await self.db.scalars(select(Card).where(Card.id.in_(ids[start : start + CHUNK]))))
            facts = await facts_for(self.db, cards, areas)
            updates: list[dict[str, Any]] = []
            changes: list[Change] = []
            for card in cards:
                if facts[card.id].declaration is None:  # no colour before the first declaration
                    if card.colour is not None:
                        updates.append(NO_COLOUR | {"card": card.id})
                    continue
                decision = evaluate(rules, facts[card.id], now, self.settings.zone)
                reasons = stored_reasons(decision)
                values = {
                    "card": card.id,
                    "colour": decision.colour.value,
                    "colour_reasons": reasons,
                    "green_on": decision.green_on,
                    "recheck_at": decision.next_change_at,
                    "colour_changed_at": card.colour_changed_at,
                }
                if card.colour is None:  # the first declaration: its page shows the colour
                    values["colour_changed_at"] = now
                elif decision.colour.value != card.colour:
                    values["colour_changed_at"] = now
                    first = (
                        in_language(decision.reasons[0].text, self.settings.default_language)
                        if decision.reasons
                        else ""
                    )
                    changes.append(Change(card, decision.colour, first))
                if (card.colour, card.colour_reasons, card.green_on, card.recheck_at) != (
                    values["colour"],
                    reasons,
                    decision.green_on,
                    decision.next_change_at,
                ):
                    updates.append(values)
            if updates:
                await self.db.execute(STORE_COLOUR, updates)
            if notify and changes:
                await self._tell(changes)
            changed += len(changes)
        return changed

    async def recheck_due(self, limit: int = 10_000) -> int:
        """Cards whose colour may have changed with time alone (quarantine over, area lifted)."""
        ids = list(
            await self.db.scalars(
                select(Card.id).where(Card.recheck_at <= self.clock.now()).order_by(Card.recheck_at).limit(limit)
            )
        )
        changed = await self.recompute(ids)
        await self.db.commit()
        return changed

    async def _tell(self, changes: Sequence[Change]) -> None:
        """One SMS per holder's phone (the person and their guardians) for each changed card."""
        phones: dict[int, list[str]] = {}
        rows = await self.db.execute(
            select(CardHolder.card_id, Resident.phone)
            .join(Resident, Resident.id == CardHolder.resident_id)
            .where(CardHolder.card_id.in_([c.card.id for c in changes]), CardHolder.status == "active")
        )
        for card_id, phone in rows.all():
            phones.setdefault(card_id, []).append(phone)
        language = self.settings.default_language
        for change in changes:
            if change.colour is Colour.GREEN:
                text = translate(GREEN_TEXT, language, name=change.card.masked_name)
            else:
                colour = translate(COLOUR_WORDS[change.colour], language)
                text = translate(
                    CHANGED_TEXT, language, name=change.card.masked_name, colour=colour, reason=change.reason
                )
            for phone in phones.get(change.card.id, []):
                await self.sms.send(phone, text)


def make_colour_service(db: AsyncSession, settings: Settings, clock: Clock) -> ColourService:
    return ColourService(db, settings, clock, make_provider(settings, db, clock))
