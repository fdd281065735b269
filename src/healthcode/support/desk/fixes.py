"""Fixing the cause from the ticket itself (SPEC §10, the guide's FAQ 6, 8, 9, 15, 18).

Each fix goes through the cards' own services (the application flow, the verifier, the link
ending), never by editing rows; each is audited under ``support.*`` with the ticket, keeps what it
changed in a sealed :class:`~healthcode.db.models.TicketFix`, and writes a reply on the ticket.
A fix that does not apply (wrong state, nothing to do) raises a clear error and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.service import (
    OPEN_STATES,
    card_by_public_id,
    correct_application_name,
    document_index,
    make_card_service,
)
from healthcode.cards.verification import make_verifier
from healthcode.config import Settings
from healthcode.db.models import Application, Card, CardHolder, Resident, StaffAccount, Ticket, TicketFix
from healthcode.domain.cards import LinkStatus, Outcome, Relationship, Verdict
from healthcode.domain.clock import Clock
from healthcode.domain.documents import DocumentType, normalize_name
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.phone import mask_mobile
from healthcode.domain.tickets import TicketStatus
from healthcode.i18n import translate
from healthcode.sessions.service import Principal
from healthcode.support.desk.case import (
    LINK_ENDED_REPLY,
    NAME_REPLY,
    OUTCOMES,
    REBOUND_REPLY,
    RECHECKABLE,
    RECHECKED_REPLY,
    REVIEW_REPLY,
    CaseFacts,
    HolderFact,
    LinkFact,
    no_application,
    no_card,
)
from healthcode.support.desk.service import DeskService, TicketDetail


class FixDesk(DeskService):
    """The support desk's fixes; every call checks the support role first (:class:`DeskService`)."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        super().__init__(db, settings, clock)
        self.cards = make_card_service(db, settings, clock)

    async def open_case(self, principal: Principal | None, ticket_id: int) -> tuple[TicketDetail, CaseFacts]:
        """:meth:`DeskService.open` (audited) and the facts the fixes work on."""
        detail = await self.open(principal, ticket_id)
        return detail, await self._case(await self._ticket(ticket_id))

    async def rebind(self, principal: Principal | None, ticket_id: int, confirmed: bool) -> Application:
        """FAQ 8: the card's own link moves to the ticket's resident (the new phone) after the agent
        compared the ticket's photo with the card's document. The application flow opens the
        link, the verifier approves it: the old phone's link ends and it is told by SMS, the
        resident is told by SMS and by a reply on the ticket."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        card = await self._card(ticket)
        if card.status != "approved":
            raise Conflict(
                "support_card_not_issued",
                N_("This card has not been issued yet: check its application again or send it to the reviewers."),
                field="ticket",
            )
        if ticket.screenshot_type is None:
            raise Conflict(
                "support_proof_missing",
                N_("The ticket has no photo of the document. Ask the resident to file one with a photo."),
                field="confirmed",
            )
        if not confirmed:
            raise InvalidInput(
                "support_proof_not_confirmed",
                N_("Look at the photo and compare it with the card's document, then tick the box."),
                field="confirmed",
            )
        application = await self._rebind_application(ticket, card)
        previous = [
            h.id
            for h in await self._holders(card)
            if h.relationship == Relationship.SELF.value and h.status == LinkStatus.ACTIVE.value
        ]
        verifier = make_verifier(self.db, self.settings, self.clock)
        await verifier.conclude(application, Verdict(Outcome.APPROVED), decided_by=f"staff:{staff.id}")
        name = card.masked_name
        await self._done(
            ticket,
            staff,
            "rebind",
            f"card:{card.public_id}",
            translate(REBOUND_REPLY, self.settings.default_language, name=name),
            sms=False,  # the verifier's message told the resident already
            application=application.id,
            ended_links=previous,
        )
        return application

    async def recheck(self, principal: Principal | None, ticket_id: int) -> str:
        """FAQ 6, 18: the real-name check runs again now for the resident's waiting or refused
        application; returns the new state."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        card, application = await self._claim(ticket)
        await make_verifier(self.db, self.settings, self.clock).recheck(application, by=f"staff:{staff.id}")
        state = application.state
        language = self.settings.default_language
        outcome = translate(OUTCOMES.get(state, state), language)
        text = translate(RECHECKED_REPLY, language, name=card.masked_name, outcome=outcome)
        decided = state in ("approved", "rejected")  # the verifier's SMS told the resident
        await self._done(
            ticket, staff, "recheck", f"card:{card.public_id}", text, sms=not decided, application=application.id
        )
        return state

    async def send_to_review(self, principal: Principal | None, ticket_id: int) -> Application:
        """FAQ 9, 18: the resident's waiting or refused application goes to the reviewers' queue."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        card, application = await self._claim(ticket)
        await make_verifier(self.db, self.settings, self.clock).send_to_review(application, by=f"staff:{staff.id}")
        text = translate(REVIEW_REPLY, self.settings.default_language, name=card.masked_name)
        await self._done(ticket, staff, "to_review", f"card:{card.public_id}", text, application=application.id)
        return application

    async def correct_name(self, principal: Principal | None, ticket_id: int, name_raw: str) -> Application:
        """FAQ 9: a mistyped name on the resident's application, while it is being checked (never
        on an issued card). The old and the new name are kept sealed in the fix's detail."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        card = await self._card(ticket)
        application = await self._application(ticket, card)
        name = normalize_name(name_raw)
        old = self.sealer.open_text(application, "name_enc")
        if name == old:
            raise InvalidInput(
                "support_name_unchanged", N_("This is the name on the application already."), field="name"
            )
        correct_application_name(self.settings, card, application, name)
        text = translate(NAME_REPLY, self.settings.default_language, name=card.masked_name)
        await self._done(
            ticket,
            staff,
            "name_correct",
            f"card:{card.public_id}",
            text,
            application=application.id,
            old_name=old,
            new_name=name,
        )
        return application

    async def end_link(self, principal: Principal | None, ticket_id: int, card_public_id: str) -> None:
        """A card linked twice, or one the resident no longer wants, leaves their phone (as the
        resident's own "remove" does); the other phones' links stay."""
        staff = await self._authorize(principal)
        ticket = await self._ticket(ticket_id)
        mine = {link.public_id: link for link in await self._links(ticket.resident_id)}
        link = mine.get(card_public_id)
        if link is None:
            raise NotFound(
                "support_link_not_found",
                N_("This card is not on the resident's phone (any more); nothing was changed."),
                field="card_id",
            )
        text = translate(LINK_ENDED_REPLY, self.settings.default_language, name=link.masked_name)
        await self._done(
            ticket, staff, "end_link", f"card:{card_public_id}", text, commit=False, relationship=link.relationship
        )
        await self.cards.end_link(ticket.resident_id, card_public_id)  # commits the whole fix

    async def _done(
        self,
        ticket: Ticket,
        staff: StaffAccount,
        action: str,
        subject: str,
        reply: str,
        *,
        sms: bool = True,
        commit: bool = True,
        **detail: Any,
    ) -> None:
        """The fix's sealed record, the reply on the ticket, the audit entry, the commit. An open
        ticket is taken by the agent and moves to "in progress"."""
        fix = TicketFix(
            ticket_id=ticket.id, staff_id=staff.id, action=action, detail_enc=b"", created_at=self.clock.now()
        )
        self.db.add(fix)
        await self.db.flush()  # the ID binds the sealed detail to this row
        self.sealer.seal_text(fix, "detail_enc", json.dumps(detail, ensure_ascii=False, sort_keys=True))
        target = TicketStatus.IN_PROGRESS if ticket.status == TicketStatus.OPEN.value else None
        await self._add_reply(ticket, staff, reply, target, sms=sms)
        ids = {k: v for k, v in detail.items() if k in ("application", "ended_links")}
        await self.audit.record(f"staff:{staff.id}", f"support.{action}", subject, ticket=ticket.id, fix=fix.id, **ids)
        if commit:
            await self.db.commit()

    async def _case(self, ticket: Ticket) -> CaseFacts:
        card = await self._card_or_none(ticket)
        holders: list[HolderFact] = []
        application = None
        if card is not None:
            for holder in await self._holders(card):
                if holder.status == LinkStatus.ENDED.value:
                    continue
                phone = await self.db.scalar(select(Resident.phone).where(Resident.id == holder.resident_id))
                holders.append(
                    HolderFact(
                        mask_mobile(phone or ""),
                        Relationship(holder.relationship),
                        LinkStatus(holder.status),
                        holder.resident_id == ticket.resident_id,
                    )
                )
            application = await self._latest_application(ticket, card)
        return CaseFacts(card, holders, application, await self._links(ticket.resident_id))

    async def _card_or_none(self, ticket: Ticket) -> Card | None:
        """The card the ticket names: the card it was filed from, else the card of its document."""
        public_id = json.loads(ticket.context).get("card_id")
        if public_id:
            return await card_by_public_id(self.db, public_id)
        if ticket.document_type is None or ticket.document_enc is None:
            return None
        number = self.sealer.open_text(ticket, "document_enc")
        index = document_index(self.settings, DocumentType(ticket.document_type), number)
        return await self.db.scalar(select(Card).where(Card.document_index == index))

    async def _card(self, ticket: Ticket) -> Card:
        card = await self._card_or_none(ticket)
        if card is None:
            raise no_card()
        return card

    async def _holders(self, card: Card) -> list[CardHolder]:
        return list(
            await self.db.scalars(select(CardHolder).where(CardHolder.card_id == card.id).order_by(CardHolder.id))
        )

    async def _latest_application(self, ticket: Ticket, card: Card) -> Application | None:
        return await self.db.scalar(
            select(Application)
            .where(Application.card_id == card.id, Application.resident_id == ticket.resident_id)
            .order_by(Application.id.desc())
            .limit(1)
        )

    async def _application(self, ticket: Ticket, card: Card) -> Application:
        application = await self._latest_application(ticket, card)
        if application is None:
            raise no_application()
        return application

    async def _claim(self, ticket: Ticket) -> tuple[Card, Application]:
        """The resident's application for the ticket's card, if it may be checked again or sent to
        the reviewers, claimed (state ``deciding``) so the background check does not take it too."""
        card = await self._card(ticket)
        application = await self._application(ticket, card)
        holder = await self.db.get(CardHolder, application.holder_id) if application.holder_id else None
        if application.state == "review":
            raise Conflict(
                "support_already_in_review",
                N_("This application is with the reviewers already; nothing was changed."),
                field="application",
            )
        if application.state == "awaiting_photos":
            raise Conflict(
                "support_photos_missing",
                N_("This application still waits for its document photos: the resident must send them first."),
                field="application",
            )
        if application.state not in RECHECKABLE or holder is None or holder.status == LinkStatus.ENDED.value:
            raise Conflict(
                "support_application_decided",
                N_("This application is {state}: only one waiting for the check or refused can be checked again."),
                field="application",
                state=translate(OUTCOMES.get(application.state, application.state), self.settings.default_language),
            )
        await self._take(application)
        return card, application

    async def _take(self, application: Application) -> None:
        """Claim the application (state ``deciding``) so that the background check or a reviewer
        does not decide it at the same time."""
        claimed = await self.db.execute(
            update(Application)
            .where(Application.id == application.id, Application.state == application.state)
            .values(state="deciding")
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await self.db.rollback()
            raise Conflict(
                "support_application_busy",
                N_("This application is being decided right now. Open the ticket again in a moment."),
                field="application",
            )
        await self.db.refresh(application)

    async def _rebind_application(self, ticket: Ticket, card: Card) -> Application:
        """The ticket's resident's own application for the card: the one waiting already (their own
        try on the new phone), or a new one opened as the application flow opens it."""
        for holder in await self._holders(card):
            if holder.resident_id != ticket.resident_id or not LinkStatus(holder.status).live:
                continue
            if holder.relationship != Relationship.SELF.value:
                raise Conflict(
                    "support_card_held_as_family",
                    N_("The card is on the resident's phone as a family member's. End that link first, then re-bind."),
                    field="ticket",
                )
            if holder.status == LinkStatus.ACTIVE.value:
                raise Conflict(
                    "support_rebind_nothing_to_do",
                    N_("The card is on the resident's phone as their own already; nothing was changed."),
                    field="ticket",
                )
            waiting = await self.db.scalar(
                select(Application)
                .where(Application.holder_id == holder.id, Application.state.in_(OPEN_STATES))
                .order_by(Application.id.desc())
                .limit(1)
            )
            if waiting is not None:
                await self._take(waiting)
                return waiting
        name = self.sealer.open_text(card, "name_enc")
        number = self.sealer.open_text(card, "document_enc")
        _, _, application = await self.cards.open_application(
            ticket.resident_id, name, DocumentType(card.document_type), number, Relationship.SELF
        )
        return application

    async def _links(self, resident_id: int) -> list[LinkFact]:
        return [
            LinkFact(
                v.card.public_id, v.masked_name, v.card.masked_document, v.relationship, LinkStatus(v.holder.status)
            )
            for v in await self.cards.all_for(resident_id)
        ]
