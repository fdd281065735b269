"""Proposing, deciding and appealing recodes. Every step is audited; the colour changes only
when a second official approves, and an appeal is decided by a third."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from healthcode.audit.service import AuditedService
from healthcode.cards.service import card_by_document, make_card_service
from healthcode.colours.service import ColourService, make_colour_service
from healthcode.config import Settings
from healthcode.db.models import Card, RecodeRecord
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.recodes import check_proposal, ensure_second_official
from healthcode.domain.roles import Role
from healthcode.domain.text import form_text
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

MAX_APPEAL = 2000


@dataclass(frozen=True)
class RecodeView:
    """A recode with the card's masked identity and its texts opened, for officials' lists."""

    recode: RecodeRecord
    card: Card
    evidence: str
    resident_note: str | None
    appeal_text: str | None


@dataclass(frozen=True)
class ShownRecode:
    """A recode as its resident sees it on the card's page and in the API: never the evidence."""

    id: int
    colour: str
    reason_code: str
    status: str
    decided_at: datetime | None
    until: datetime | None
    resident_note: str | None
    appeal_status: str
    appeal_answer: str | None


class RecodeService(AuditedService):
    """Recodes. Officials need the authority role; residents appeal their own cards' recodes."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, colours: ColourService):
        super().__init__(db, settings, clock)
        self.colours = colours
        self.staff = StaffService(db, settings, clock)
        self.sealer = Sealer(settings.keyring)

    async def propose(
        self,
        principal: Principal | None,
        document_type: str,
        document_number: str,
        colour: str,
        reason_code: str,
        evidence: str,
        days: int | None,
        resident_note: str = "",
    ) -> RecodeRecord:
        """Propose a recode for the card of a document; nothing changes until another official
        approves. ``evidence`` stays with officials; ``resident_note`` is shown to the resident."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        now = self.clock.now()
        _, card = await card_by_document(self.db, self.settings, self.clock, document_type, document_number)
        chosen, until = check_proposal(colour, reason_code, evidence, days, now, resident_note)
        if card is None:
            raise NotFound("card_not_found", N_("Nobody holds a card for this document."), field="document_number")
        recode = RecodeRecord(
            card_id=card.id,
            colour=chosen.value,
            reason_code=reason_code,
            evidence_enc=b"",
            until=until,
            proposed_by=official.id,
            proposed_at=now,
            status="proposed",
            appeal_status="none",
        )
        self.db.add(recode)
        await self.db.flush()  # the ID binds the sealed texts to this row
        self.sealer.seal_text(recode, "evidence_enc", evidence.strip())
        self.sealer.seal_optional_text(recode, "resident_note_enc", form_text(resident_note))
        await self.audit.record(
            f"staff:{official.id}", "recode.propose", f"card:{card.public_id}", recode=recode.id, colour=chosen.value
        )
        await self.db.commit()
        return recode

    async def to_decide(self, principal: Principal | None) -> list[RecodeView]:
        """Proposals awaiting a second official: everyone's but the caller's own."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        return await self._read(
            official.id,
            "recode.proposals_read",
            [RecodeRecord.status == "proposed", RecodeRecord.proposed_by != official.id],
            RecodeRecord.proposed_at,
        )

    async def my_proposals(self, principal: Principal | None) -> list[RecodeView]:
        """The caller's own proposals still waiting for a second official (they cannot decide them,
        but should see that they wait)."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        return await self._read(
            official.id,
            "recode.own_proposals_read",
            [RecodeRecord.status == "proposed", RecodeRecord.proposed_by == official.id],
            RecodeRecord.proposed_at,
        )

    async def decide(self, principal: Principal | None, recode_id: int, approve: bool) -> RecodeRecord:
        """The second official approves (the colour changes now) or declines the proposal."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        recode = await self._get(recode_id)
        ensure_second_official(official.id, recode.proposed_by)
        claimed = await self.db.execute(
            update(RecodeRecord)
            .where(RecodeRecord.id == recode_id, RecodeRecord.status == "proposed")
            .values(status="approved" if approve else "declined", decided_by=official.id, decided_at=self.clock.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("recode_already_decided", N_("This proposal has already been decided."))
        await self.db.refresh(recode)
        if approve and recode.until is not None and recode.decided_at is not None:
            # the duration runs from the approval, not from the proposal
            recode.until = recode.decided_at + (recode.until - recode.proposed_at)
        if approve:
            await self.colours.recompute([recode.card_id])
        await self._audit(f"staff:{official.id}", "recode.approve" if approve else "recode.decline", recode)
        await self.db.commit()
        return recode

    async def for_card(self, resident_id: int, public_id: str) -> list[ShownRecode]:
        """Approved recodes of one of the resident's cards, newest first (with their appeals)."""
        view = await make_card_service(self.db, self.settings, self.clock).get(resident_id, public_id)
        return await self.shown_on(view.card)

    async def shown_on(self, card: Card) -> list[ShownRecode]:
        """The recodes a card's page shows, for a card the caller has read (and may show) already."""
        rows = await self.db.scalars(
            select(RecodeRecord)
            .where(RecodeRecord.card_id == card.id, RecodeRecord.status.in_(("approved", "revoked")))
            .order_by(RecodeRecord.decided_at.desc())
        )
        opened = self.sealer.open_optional_text
        return [
            ShownRecode(
                r.id,
                r.colour,
                r.reason_code,
                r.status,
                r.decided_at,
                r.until,
                opened(r, "resident_note_enc"),
                r.appeal_status,
                opened(r, "appeal_answer_enc"),
            )
            for r in rows
        ]

    async def appeal(self, resident_id: int, public_id: str, recode_id: int, text: str) -> RecodeRecord:
        """The resident contests an approved recode of their card (GB/T 38963's correction)."""
        shown = next((r for r in await self.for_card(resident_id, public_id) if r.id == recode_id), None)
        if shown is None or shown.status != "approved":
            raise NotFound("recode_not_found", N_("There is no such recode on this card."), field="recode_id")
        recode = await self._get(recode_id)
        body = form_text(text)
        if not 1 <= len(body) <= MAX_APPEAL:
            raise InvalidInput(
                "appeal_text",
                N_("Explain in at most {n} characters why the recode is wrong."),
                field="text",
                n=MAX_APPEAL,
            )
        if recode.appeal_status == "open":
            raise Conflict("appeal_open", N_("An appeal against this recode is already being examined."))
        recode.appeal_status = "open"
        self.sealer.seal_text(recode, "appeal_text_enc", body)
        await self._audit(f"resident:{resident_id}", "recode.appeal", recode)
        await self.db.commit()
        return recode

    async def appeals(self, principal: Principal | None) -> list[RecodeView]:
        """Open appeals the caller may decide (not on recodes they proposed or approved)."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        where = [
            RecodeRecord.appeal_status == "open",
            RecodeRecord.proposed_by != official.id,
            RecodeRecord.decided_by != official.id,
        ]
        return await self._read(official.id, "recode.appeals_read", where, RecodeRecord.decided_at)

    async def answer_appeal(
        self, principal: Principal | None, recode_id: int, grant: bool, answer: str
    ) -> RecodeRecord:
        """A third official upholds the recode or grants the appeal (which revokes it)."""
        official = await self.staff.authorize(principal, Role.AUTHORITY)
        recode = await self._get(recode_id)
        ensure_second_official(official.id, recode.proposed_by, recode.decided_by)
        if recode.appeal_status != "open":
            raise Conflict("appeal_not_open", N_("This appeal has already been answered."))
        answer = form_text(answer)
        if not answer:
            raise InvalidInput("appeal_answer_required", N_("Write the answer the resident will read."), field="answer")
        recode.appeal_status = "granted" if grant else "upheld"
        self.sealer.seal_text(recode, "appeal_answer_enc", answer[:MAX_APPEAL])
        if grant:
            recode.status = "revoked"
            await self.colours.recompute([recode.card_id])
        await self._audit(f"staff:{official.id}", "recode.appeal_granted" if grant else "recode.appeal_upheld", recode)
        await self.db.commit()
        return recode

    async def _read(
        self, official_id: int, action: str, where: list[ColumnElement[bool]], order: InstrumentedAttribute[Any]
    ) -> list[RecodeView]:
        """Recodes with their cards for an official's desk; reading evidence and appeals about people
        is a read of personal data, audited as ``action`` per recode."""
        rows = await self.db.execute(
            select(RecodeRecord, Card).join(Card, Card.id == RecodeRecord.card_id).where(*where).order_by(order)
        )
        opened = self.sealer.open_optional_text
        views = [
            RecodeView(
                recode,
                card,
                self.sealer.open_text(recode, "evidence_enc"),
                opened(recode, "resident_note_enc"),
                opened(recode, "appeal_text_enc"),
            )
            for recode, card in rows.all()
        ]
        for view in views:
            await self.audit.record(
                f"staff:{official_id}", action, f"card:{view.card.public_id}", recode=view.recode.id
            )
        if views:
            await self.db.commit()
        return views

    async def _audit(self, actor: str, action: str, recode: RecodeRecord) -> None:
        """Record an action on a recode, naming its card."""
        card = await self.db.get_one(Card, recode.card_id)
        await self.audit.record(actor, action, f"card:{card.public_id}", recode=recode.id)

    async def _get(self, recode_id: int) -> RecodeRecord:
        recode = await self.db.get(RecodeRecord, recode_id)
        if recode is None:
            raise NotFound("recode_not_found", N_("There is no such recode."), field="recode_id")
        return recode


def make_recode_service(db: AsyncSession, settings: Settings, clock: Clock) -> RecodeService:
    return RecodeService(db, settings, clock, make_colour_service(db, settings, clock))
