"""A resident deletes their account (SPEC §12, API.md ``DELETE /api/v1/me``).

At once: every session of the account ends, every card leaves the phone, and what the account
itself holds goes: its tickets, its SMS codes and texts, its applications and their photos, and the
phone number. A card's own data (name, document, photos, declarations, fevers, recodes, the scans
that name it) goes too when no other phone holds the card and this phone held it verified (or it
was never issued and only this phone applied for it); a card held by other phones stays with them
(what this phone declared for it stays, no longer saying who declared), and a card this phone only
asked to hold is never erased from here. The card row itself stays, emptied,
so that paper certificates and counts keep their place: its document no longer finds it (a new
application makes a new card), its valid paper certificates are revoked. The audit trail records
the deletion by ids and counts, never the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import aliased

from healthcode.audit.service import AuditedService
from healthcode.codes.revocations import RevocationService
from healthcode.db.models import (
    Application,
    ApplicationPhoto,
    AuthSession,
    Card,
    CardHolder,
    Declaration,
    FeverRecord,
    PaperCertificate,
    RecodeRecord,
    Resident,
    Scan,
    SmsChallenge,
    SmsOutboxMessage,
    SmsQuotaReset,
    Ticket,
    TicketFix,
    TicketReply,
)
from healthcode.domain.cards import LinkStatus
from healthcode.domain.crypto import opaque_id
from healthcode.domain.tokens import TokenKind
from healthcode.sessions.service import PrincipalKind

DELETED_NAME = "—"
DELETED_REASON = "account deleted"
LIVE_LINKS = (LinkStatus.ACTIVE.value, LinkStatus.PENDING.value)


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting the account does to its cards: ``erased`` lose their data, ``kept`` only
    leave this phone. Shown by name only where this phone's link is verified (``names``)."""

    erased: list[Card]
    kept: list[Card]
    names: dict[int, str]


class AccountDeletion(AuditedService):
    """Deletes a resident's account and the data only it holds."""

    async def plan(self, resident_id: int) -> DeletionPlan:
        """What :meth:`delete` would do, for the page that asks before it is done.

        A card's data goes when this phone was the last to hold it and either held it verified
        (its link active) or it was never issued and only this phone applied for it; a card this
        phone only asked to hold (a claim, a join still being checked) is never erased from here:
        an unverified phone cannot delete someone's card, a walk-in's included."""
        erased: list[Card] = []
        kept: list[Card] = []
        names: dict[int, str] = {}
        for card, link, others, strangers in await self._cards(resident_id):
            if link == LinkStatus.ACTIVE.value:
                names[card.id] = card.masked_name
            own_attempt = card.status != "approved" and not strangers
            (erased if not others and (link == LinkStatus.ACTIVE.value or own_attempt) else kept).append(card)
        return DeletionPlan(erased, kept, names)

    async def delete(self, resident_id: int) -> DeletionPlan:
        """Delete the account now. Commits."""
        resident = await self.db.get(Resident, resident_id)
        if resident is None:
            return DeletionPlan([], [], {})
        now = self.clock.now()
        plan = await self.plan(resident_id)
        await self.db.execute(
            update(AuthSession)
            .where(
                AuthSession.principal_kind == PrincipalKind.RESIDENT.value,
                AuthSession.principal_id == resident_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        own_applications = select(Application.id).where(Application.resident_id == resident_id)
        await self.db.execute(delete(ApplicationPhoto).where(ApplicationPhoto.application_id.in_(own_applications)))
        await self.db.execute(delete(Application).where(Application.resident_id == resident_id))
        await self.db.execute(
            update(Declaration).where(Declaration.declared_by == resident_id).values(declared_by=None)
        )
        await self.db.execute(delete(CardHolder).where(CardHolder.resident_id == resident_id))
        for card in plan.erased:
            await self._erase(card)
        mine = select(Ticket.id).where(Ticket.resident_id == resident_id)
        await self.db.execute(delete(TicketReply).where(TicketReply.ticket_id.in_(mine)))
        await self.db.execute(delete(TicketFix).where(TicketFix.ticket_id.in_(mine)))
        await self.db.execute(delete(Ticket).where(Ticket.resident_id == resident_id))
        await self.db.execute(delete(SmsChallenge).where(SmsChallenge.phone == resident.phone))
        await self.db.execute(delete(SmsQuotaReset).where(SmsQuotaReset.phone == resident.phone))
        await self.db.execute(delete(SmsOutboxMessage).where(SmsOutboxMessage.phone == resident.phone))
        await self.db.delete(resident)
        await self.audit.record(
            f"resident:{resident_id}",
            "account.delete",
            f"resident:{resident_id}",
            cards_erased=len(plan.erased),
            cards_kept=len(plan.kept),
        )
        await self.db.commit()
        return plan

    async def _cards(self, resident_id: int) -> list[tuple[Card, str, int, int]]:
        """The cards on this phone: this phone's link status, how many other phones hold the card
        (live links), and how many applications for it came from elsewhere (other phones, desks)."""
        other = aliased(CardHolder)
        others = (
            select(func.count())
            .select_from(other)
            .where(other.card_id == Card.id, other.resident_id != resident_id, other.status.in_(LIVE_LINKS))
            .correlate(Card)
            .scalar_subquery()
        )
        strangers = (
            select(func.count())
            .select_from(Application)
            .where(
                Application.card_id == Card.id,
                or_(Application.resident_id.is_(None), Application.resident_id != resident_id),
            )
            .correlate(Card)
            .scalar_subquery()
        )
        rows = await self.db.execute(
            select(Card, CardHolder.status, others, strangers)
            .join(CardHolder, CardHolder.card_id == Card.id)
            .where(CardHolder.resident_id == resident_id, CardHolder.status.in_(LIVE_LINKS))
        )
        return [(card, link, int(n), int(m)) for card, link, n, m in rows.all()]

    async def _erase(self, card: Card) -> None:
        """Everything about the person of ``card``; the row stays, emptied and unreachable."""
        applications = select(Application.id).where(Application.card_id == card.id)
        await self.db.execute(delete(ApplicationPhoto).where(ApplicationPhoto.application_id.in_(applications)))
        await self.db.execute(delete(Application).where(Application.card_id == card.id))
        await self.db.execute(delete(CardHolder).where(CardHolder.card_id == card.id))
        await self.db.execute(delete(Declaration).where(Declaration.card_id == card.id))
        await self.db.execute(delete(FeverRecord).where(FeverRecord.card_id == card.id))
        await self.db.execute(delete(RecodeRecord).where(RecodeRecord.card_id == card.id))
        await self.db.execute(
            update(Scan).where(Scan.card_id == card.id).values(card_id=None, masked_name=None, masked_document=None)
        )
        revocations = RevocationService(self.db, self.settings, self.clock)
        for certificate in await self.db.scalars(
            select(PaperCertificate).where(PaperCertificate.card_id == card.id, PaperCertificate.revoked.is_(False))
        ):
            revocation = await revocations.add(
                bytes.fromhex(certificate.token_id),
                TokenKind.PAPER,
                DELETED_REASON,
                "account",
                expires_at=certificate.valid_until,
            )
            certificate.revoked, certificate.revoked_at = True, revocation.revoked_at
            certificate.revoke_reason = DELETED_REASON
        card.card_id = opaque_id() + opaque_id()
        card.document_index = opaque_id() + opaque_id()
        card.document_enc = card.name_enc = b""
        card.masked_name = card.masked_document = DELETED_NAME
        card.birth_date = None
        card.status = "deleted"
        card.colour = None
        card.colour_reasons_enc = None
        card.green_on = card.recheck_at = None
        await self.db.flush()
