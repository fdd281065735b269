"""Recomputing and storing card colours when their inputs change, never on read."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.colours.facts import facts_for, risk_areas
from healthcode.config import Settings
from healthcode.db.base import table_of
from healthcode.db.models import Card, CardHolder, Resident, RuleSetRecord
from healthcode.domain.clock import Clock
from healthcode.domain.colours import (
    COLOUR_WORDS,
    Colour,
    Decision,
    Reason,
    RuleSet,
    default_ruleset,
    evaluate,
    load_ruleset,
)
from healthcode.domain.i18n import N_
from healthcode.i18n import in_language, translate
from healthcode.privacy.sealed import Sealer
from healthcode.sms.provider import SmsProvider, make_provider

CHUNK = 1000
ATTEMPTS = 5
"""How often a recompute tries again for cards other writers kept changing under it."""
_cards = table_of(Card)
# One prepared statement, executed many times: much cheaper than the ORM's bulk update per row.
STORE_COLOUR = (
    update(_cards)
    .where(_cards.c.id == bindparam("card"), _cards.c.colour_stamp == bindparam("seen"))
    .values(
        colour_stamp=bindparam("stamp"),
        colour=bindparam("colour"),
        colour_reasons_enc=bindparam("colour_reasons_enc"),
        green_on=bindparam("green_on"),
        recheck_at=bindparam("recheck_at"),
        colour_changed_at=bindparam("colour_changed_at"),
    )
)
NO_COLOUR: dict[str, Any] = {
    "colour": None,
    "colour_reasons_enc": None,
    "green_on": None,
    "recheck_at": None,
    "colour_changed_at": None,
}
"""What a card stores before its first declaration: no colour, no reasons (SPEC §7)."""
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


class StaleColour(Exception):
    """Cards changed under every attempt to recolour them; the caller's transaction should be
    tried again later (a job does so at its next pass)."""


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
        self.sealer = Sealer(settings.keyring)

    async def ruleset(self) -> RuleSet:
        """The active rule set, or the packaged default when none was activated."""
        source = await self.db.scalar(select(RuleSetRecord.source).where(RuleSetRecord.active.is_(True)))
        return load_ruleset(source) if source else default_ruleset()

    async def recompute(self, card_ids: Iterable[int], *, notify: bool = True) -> int:
        """Recompute the given cards (in chunks) and store what changed; returns how many changed
        colour (each texted once, if ``notify``). The caller commits.

        Every card recomputed gets a new colour stamp, written only where the card still has the
        stamp read with it: a pass that read a card before another writer changed it stores
        nothing for that card and computes it again from what is there now (at most
        :data:`ATTEMPTS` times). So a slow pass never overwrites a newer colour, and of several
        passes that see the same change, one stores it and texts it; the others find it done."""
        pending = sorted(set(card_ids))
        if not pending:
            return 0
        now = self.clock.now()
        rules = await self.ruleset()
        areas = await risk_areas(self.db, now.astimezone(self.settings.zone).date())
        changed = 0
        for _attempt in range(ATTEMPTS):
            lost: list[int] = []
            for start in range(0, len(pending), CHUNK):
                chunk = pending[start : start + CHUNK]
                stored, missed = await self._store_chunk(chunk, rules, areas, now, notify=notify)
                changed += stored
                lost += missed
            if not lost:
                return changed
            pending = lost
        raise StaleColour(f"{len(pending)} cards kept changing while being recoloured; try again")

    async def _store_chunk(
        self, ids: Sequence[int], rules: RuleSet, areas: Any, now: datetime, *, notify: bool
    ) -> tuple[int, list[int]]:
        """One chunk: how many changed colour, and the cards another writer changed meanwhile."""
        query = select(Card).where(Card.id.in_(ids)).execution_options(populate_existing=True)
        cards = list(await self.db.scalars(query))
        facts = await facts_for(self.db, self.sealer, cards, areas, self.settings.zone)
        stamp = secrets.randbits(62)
        updates: list[dict[str, Any]] = []
        changes: dict[int, Change] = {}
        for card in cards:
            if facts[card.id].declaration is None:  # no colour before the first declaration
                updates.append(NO_COLOUR | {"card": card.id, "seen": card.colour_stamp, "stamp": stamp})
                continue
            decision = evaluate(rules, facts[card.id], now, self.settings.zone)
            values = {
                "card": card.id,
                "seen": card.colour_stamp,
                "stamp": stamp,
                "colour": decision.colour.value,
                "colour_reasons_enc": self.sealer.seal_reasons(card.id, stored_reasons(decision)),
                "green_on": decision.green_on,
                "recheck_at": decision.next_change_at,
                "colour_changed_at": card.colour_changed_at,
            }
            if card.colour is None:  # the first declaration: its page shows the colour
                values["colour_changed_at"] = now
            elif decision.colour.value != card.colour:
                values["colour_changed_at"] = now
                first = (
                    in_language(decision.reasons[0].text, self.settings.default_language) if decision.reasons else ""
                )
                changes[card.id] = Change(card, decision.colour, first)
            updates.append(values)
        if not updates:  # the cards are gone
            return 0, []
        await self.db.execute(STORE_COLOUR, updates)
        written = set(await self.db.scalars(select(Card.id).where(Card.id.in_(ids), Card.colour_stamp == stamp)))
        landed = [change for card_id, change in changes.items() if card_id in written]
        if notify and landed:
            await self._tell(landed)
        return len(landed), [card.id for card in cards if card.id not in written]

    async def recheck_due(self, limit: int = 10_000) -> int:
        """Cards whose colour may have changed with time alone (quarantine over, area lifted), a
        chunk of :data:`CHUNK` at a time, each in a transaction of its own. On PostgreSQL a chunk
        is claimed: its rows stay locked until its commit and other workers running this at once
        skip them (``SKIP LOCKED``) and take the next due cards, so a large pass is shared instead
        of repeated. Elsewhere (SQLite: one writer) the stamps keep overlapping passes right."""
        claim = self.db.get_bind().dialect.name == "postgresql"
        changed = 0
        for _ in range(max(1, limit // CHUNK)):
            due = select(Card.id).where(Card.recheck_at <= self.clock.now()).order_by(Card.recheck_at).limit(CHUNK)
            if claim:
                due = due.with_for_update(skip_locked=True)
            ids = list(await self.db.scalars(due))
            if ids:
                changed += await self.recompute(ids)
            await self.db.commit()
            if len(ids) < CHUNK:
                break
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
