"""Deciding applications: the real-name provider first, reviewers for what it cannot decide.

Submitted applications wait ``HEALTHCODE_REALNAME_DELAY_S`` (the provider's delay), then the
background job (:meth:`Verifier.run_due`) decides them in order. With no delay they are decided
at once, in the request that completed the photos. Reviewers' decisions go through
:meth:`Verifier.conclude` too, so the effects (links, card state, SMS, audit) are the same.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.cards.realname import IdentityClaim, RealNameProvider, make_realname_provider
from healthcode.colours.service import ColourService
from healthcode.config import Settings
from healthcode.db.models import Application, Card, CardHolder, Resident
from healthcode.domain.cards import (
    REJECTION_REASONS,
    ApplicationKind,
    LinkStatus,
    Outcome,
    Relationship,
    Verdict,
    estimated_wait_s,
)
from healthcode.domain.clock import Clock
from healthcode.domain.documents import DocumentType
from healthcode.domain.i18n import N_
from healthcode.domain.masking import mask_name
from healthcode.i18n import translate
from healthcode.privacy.sealed import Sealer
from healthcode.sms.provider import SmsProvider, make_provider

APPROVED_TEXT = N_("[Health Code] Your application for {name}'s health card is approved. Open Health Code to see it.")
REJECTED_TEXT = N_(
    "[Health Code] Your application for {name}'s health card was not approved: {reason} "
    "You can apply again, or call {hotline}."
)
MOVED_TEXT = N_(
    "[Health Code] The health card of {name} was claimed by its owner on another phone and is no longer "
    "shown on this one. If this was not you, call {hotline}."
)


class Verifier(AuditedService):
    """Moves applications through pending → approved / rejected / review."""

    def __init__(
        self,
        db: AsyncSession,
        settings: Settings,
        clock: Clock,
        provider: RealNameProvider,
        sms: SmsProvider,
        colours: ColourService,
    ):
        super().__init__(db, settings, clock)
        self.provider = provider
        self.sms = sms
        self.colours = colours

    async def submit(self, application: Application) -> None:
        """All photos are in: queue the application (or decide it now when there is no delay)."""
        now = self.clock.now()
        application.state = "pending"
        application.submitted_at = now
        application.due_at = now + timedelta(seconds=self.settings.realname_delay_s)
        await self.db.flush()
        if self.settings.realname_delay_s == 0:
            application.state = "deciding"
            await self._decide(application)

    async def queue_place(self, application: Application) -> tuple[int, int]:
        """Applications ahead of this one in its queue, and the estimated seconds to a decision."""
        ahead = await self.db.scalar(
            select(func.count()).where(
                Application.state == application.state,
                or_(
                    Application.submitted_at < application.submitted_at,
                    (Application.submitted_at == application.submitted_at) & (Application.id < application.id),
                ),
            )
        )
        position = int(ahead or 0)
        if application.state == "review":
            return position, estimated_wait_s(position, 0, self.settings.review_seconds_per_application)
        due_in = int((application.due_at - self.clock.now()).total_seconds()) if application.due_at else 0
        return position, estimated_wait_s(position, due_in, self.settings.realname_seconds_per_application)

    async def run_due(self, limit: int = 100) -> int:
        """Decide the applications whose delay has passed, oldest first; safe to run in every
        worker at once (each application is claimed by one conditional update)."""
        ids = list(
            await self.db.scalars(
                select(Application.id)
                .where(Application.state == "pending", Application.due_at <= self.clock.now())
                .order_by(Application.due_at, Application.id)
                .limit(limit)
            )
        )
        await self.db.commit()
        decided = 0
        for application_id in ids:
            claimed = await self.db.execute(
                update(Application)
                .where(Application.id == application_id, Application.state == "pending")
                .values(state="deciding")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                await self.db.rollback()
                continue
            application = await self.db.get(Application, application_id)
            if application is not None:
                await self._decide(application)
                decided += 1
            await self.db.commit()
        return decided

    async def _decide(self, application: Application) -> None:
        card = await self.db.get(Card, application.card_id)
        resident = await self._resident(application)
        if card is None or (resident is None and application.registered_by is None):
            return
        sealer = Sealer(self.settings.keyring)
        typed_name = sealer.open_text(application, "name_enc")
        card_name = sealer.open_text(card, "name_enc")
        kind = ApplicationKind(application.kind)
        if card.status == "approved" and typed_name != card_name:
            verdict = Verdict(Outcome.REJECTED, "name_mismatch")
        else:
            verdict = await self.provider.check(
                IdentityClaim(
                    document_type=DocumentType(card.document_type),
                    document_number=sealer.open_text(card, "document_enc"),
                    name=typed_name,
                    phone=resident.phone if resident else None,
                    kind=kind,
                )
            )
        await self.conclude(application, verdict, decided_by="realname")

    async def conclude(self, application: Application, verdict: Verdict, *, decided_by: str, note: str = "") -> None:
        """Apply a verdict: links, card state, the resident's SMS and the audit entry. A walk-in's
        application (registered at a clerk's desk) has no link and no phone: only the card changes."""
        card = await self.db.get(Card, application.card_id)
        holder = await self.db.get(CardHolder, application.holder_id) if application.holder_id else None
        resident = await self._resident(application)
        walk_in = application.registered_by is not None
        if card is None or (not walk_in and (holder is None or resident is None)):
            return
        now = self.clock.now()
        language = self.settings.default_language
        hotline = self.settings.hotlines[0] if self.settings.hotlines else ""
        if verdict.outcome is Outcome.UNDECIDED:
            application.state = "review"
            await self.audit.record(
                decided_by, "application.to_review", f"card:{card.public_id}", application=application.id
            )
            return
        application.decided_at, application.decided_by = now, decided_by
        Sealer(self.settings.keyring).seal_optional_text(application, "note_enc", note)
        if verdict.outcome is Outcome.APPROVED:
            application.state = "approved"
            if holder is not None:
                holder.status = LinkStatus.ACTIVE.value
            if card.status != "approved":
                # the first approved application names the card: an earlier, unapproved one may
                # have carried a mistyped or someone else's name
                sealer = Sealer(self.settings.keyring)
                name = sealer.open_text(application, "name_enc")
                sealer.seal_text(card, "name_enc", name)
                card.masked_name = mask_name(name)
                card.status, card.approved_at = "approved", now
            await self.colours.recompute([card.id], notify=False)
            if holder is not None and ApplicationKind(application.kind) is ApplicationKind.REBIND:
                await self._move_self_link(card, holder, language, hotline)
            text = translate(APPROVED_TEXT, language, name=card.masked_name)
        else:
            application.state, application.reason = "rejected", verdict.reason or "other"
            if holder is not None:
                holder.status = LinkStatus.REJECTED.value
            reason = translate(REJECTION_REASONS[application.reason], language)
            typed = mask_name(Sealer(self.settings.keyring).open_text(application, "name_enc"))  # not the card's
            text = translate(REJECTED_TEXT, language, name=typed, reason=reason, hotline=hotline)
        if resident is not None:
            await self.sms.send(resident.phone, text)
        await self.audit.record(
            decided_by,
            f"application.{application.state}",
            f"card:{card.public_id}",
            application=application.id,
            reason=application.reason,
        )
        await self.db.flush()

    async def recheck(self, application: Application, *, by: str) -> None:
        """Check a waiting or rejected application again now, at a support agent's request (FAQ 6,
        18): a rejected one's link waits again, then the provider decides as for a new one. The
        caller has claimed the application (state ``deciding``)."""
        await self._reopen(application)
        await self._decide(application)

    async def send_to_review(self, application: Application, *, by: str) -> None:
        """Put a waiting or rejected application in the reviewers' queue (FAQ 9, 18); the caller
        has claimed it (state ``deciding``)."""
        await self._reopen(application)
        await self.conclude(application, Verdict(Outcome.UNDECIDED), decided_by=by)

    async def _reopen(self, application: Application) -> None:
        """The application waits again, as if just submitted."""
        holder = await self.db.get(CardHolder, application.holder_id) if application.holder_id else None
        if holder is not None and holder.status == LinkStatus.REJECTED.value:
            holder.status = LinkStatus.PENDING.value
        now = self.clock.now()
        application.reason = application.decided_at = application.decided_by = None
        application.submitted_at = application.submitted_at or now
        application.due_at = now
        await self.db.flush()

    async def _resident(self, application: Application) -> Resident | None:
        return await self.db.get(Resident, application.resident_id) if application.resident_id else None

    async def _move_self_link(self, card: Card, new_holder: CardHolder, language: str, hotline: str) -> None:
        """A proven owner takes the card: the phone that held it as "self" is told and let go."""
        previous = await self.db.scalars(
            select(CardHolder).where(
                CardHolder.card_id == card.id,
                CardHolder.relationship == Relationship.SELF.value,
                CardHolder.status == LinkStatus.ACTIVE.value,
                CardHolder.id != new_holder.id,
            )
        )
        for holder in previous:
            holder.status = LinkStatus.ENDED.value
            phone = await self.db.scalar(select(Resident.phone).where(Resident.id == holder.resident_id))
            if phone:
                await self.sms.send(phone, translate(MOVED_TEXT, language, name=card.masked_name, hotline=hotline))


def make_verifier(db: AsyncSession, settings: Settings, clock: Clock) -> Verifier:
    """A verifier with the providers the settings name (used by the web, jobs and the CLI)."""
    sms = make_provider(settings, db, clock)
    return Verifier(db, settings, clock, make_realname_provider(settings), sms, ColourService(db, settings, clock, sms))
