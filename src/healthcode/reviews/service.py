"""Use cases of the reviewers' desk: the queue, one application in full, its photos, the decision.

Applications reach the queue when the real-name provider answers "undecided" (state ``review``).
The queue shows masked data only; opening an application or one of its photos decrypts personal
data, and each such read is recorded in the audit trail. Decisions go through
:meth:`~healthcode.cards.verification.Verifier.conclude`, so links, card state, the resident's SMS
and the audit entry are the same as when the provider decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.cards.verification import make_verifier
from healthcode.config import Settings
from healthcode.db.models import Application, ApplicationPhoto, Card, StaffAccount
from healthcode.domain.cards import REJECTION_REASONS, ApplicationKind, Outcome, Verdict
from healthcode.domain.clock import Clock
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.text import form_text
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

REVIEW = "review"
DECIDED_STATES = ("approved", "rejected")
NOTE_MAX = 500
QUEUE_LIMIT = 100
# What a reviewer may give as the reason of a rejection. "duplicate" is left out: its text tells
# the resident the card "has been linked instead", which only the application flow does. "other"
# comes last, as the page tells reviewers to pick the last reason when none fits.
REVIEW_REASONS = tuple(sorted((code for code in REJECTION_REASONS if code != "duplicate"), key="other".__eq__))


@dataclass(frozen=True)
class QueueEntry:
    """One waiting application as the queue lists it: masked, enough to pick it, no more."""

    application_id: int
    position: int  # 1 is the oldest, decided first
    kind: ApplicationKind
    document_type: DocumentType
    masked_name: str
    masked_document: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class ReviewDetail:
    """What a reviewer needs to decide: the typed name, the full document number, the name already
    on the card when it differs, and the photos there are."""

    application_id: int
    kind: ApplicationKind
    document_type: DocumentType
    typed_name: str
    document_number: str
    card_name: str | None  # only when it differs from the typed name
    masked_name: str
    submitted_at: datetime | None
    photo_sides: list[str]  # in the order the document's photos are asked for


def not_in_review() -> NotFound:
    return NotFound(
        "review_not_found",
        N_("This application is not waiting for review. Go back to the queue for the next one."),
    )


def already_decided() -> Conflict:
    return Conflict(
        "review_already_decided",
        N_("This application has already been decided. Go back to the queue for the next one."),
    )


class ReviewService(AuditedService):
    """The reviewers' desk. Every call first checks that the caller holds the reviewer role."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        super().__init__(db, settings, clock)
        self.sealer = Sealer(settings.keyring)

    async def queue(self, principal: Principal | None, *, limit: int = QUEUE_LIMIT) -> list[QueueEntry]:
        """Applications waiting for a reviewer, the oldest submitted first."""
        await self._authorize(principal)
        rows = await self.db.execute(
            select(
                Application.id,
                Application.kind,
                Application.submitted_at,
                Card.document_type,
                Card.masked_name,
                Card.masked_document,
            )
            .join(Card, Card.id == Application.card_id)
            .where(Application.state == REVIEW)
            .order_by(Application.submitted_at, Application.id)
            .limit(limit)
        )
        return [
            QueueEntry(
                application_id=row.id,
                position=position,
                kind=ApplicationKind(row.kind),
                document_type=DocumentType(row.document_type),
                masked_name=row.masked_name,
                masked_document=row.masked_document,
                submitted_at=row.submitted_at,
            )
            for position, row in enumerate(rows.all(), start=1)
        ]

    async def open(self, principal: Principal | None, application_id: int) -> ReviewDetail:
        """One waiting application in full; the read is recorded in the audit trail."""
        staff = await self._authorize(principal)
        application, card = await self._waiting(application_id)
        typed_name = self.sealer.open_text(application, "name_enc")
        card_name = self.sealer.open_text(card, "name_enc")
        number = self.sealer.open_text(card, "document_enc")
        document_type = DocumentType(card.document_type)
        present = set(
            await self.db.scalars(
                select(ApplicationPhoto.side).where(ApplicationPhoto.application_id == application.id)
            )
        )
        await self.audit.record(
            f"staff:{staff.id}", "review.open", f"card:{card.public_id}", application=application.id
        )
        await self.db.commit()
        return ReviewDetail(
            application_id=application.id,
            kind=ApplicationKind(application.kind),
            document_type=document_type,
            typed_name=typed_name,
            document_number=number,
            card_name=card_name if card_name != typed_name else None,
            masked_name=card.masked_name,
            submitted_at=application.submitted_at,
            photo_sides=[side for side in document_type.photo_sides if side in present],
        )

    async def photo(self, principal: Principal | None, application_id: int, side: str) -> tuple[str, bytes]:
        """One document photo of a waiting application, decrypted: ``(media_type, content)``.
        Every view is recorded in the audit trail."""
        staff = await self._authorize(principal)
        application, card = await self._waiting(application_id)
        photo = await self.db.scalar(
            select(ApplicationPhoto).where(
                ApplicationPhoto.application_id == application.id, ApplicationPhoto.side == side
            )
        )
        if photo is None:
            raise NotFound("review_photo_not_found", N_("This application has no such photo."), field="side")
        content = self.sealer.open_bytes(photo, "content_enc")
        await self.audit.record(
            f"staff:{staff.id}", "review.photo", f"card:{card.public_id}", application=application.id, side=side
        )
        await self.db.commit()
        return photo.media_type, content

    async def decide(
        self, principal: Principal | None, application_id: int, approve: bool, reason: str | None, note: str = ""
    ) -> Application:
        """Approve, or reject with a reason of ``REJECTION_REASONS``; the applicant gets the same
        SMS as for the provider's decision. A second decision is ``review_already_decided``."""
        staff = await self._authorize(principal)
        application, _card = await self._waiting(application_id)
        note = form_text(note)
        if len(note) > NOTE_MAX:
            raise InvalidInput(
                "review_note_too_long",
                N_("The note can be at most {limit} characters long."),
                field="note",
                limit=NOTE_MAX,
            )
        if approve:
            verdict = Verdict(Outcome.APPROVED)
        else:
            code = (reason or "").strip()
            if code not in REVIEW_REASONS:
                raise InvalidInput(
                    "reason_unknown",
                    N_("Choose a reason from the list."),
                    field="reason",
                    known=", ".join(REVIEW_REASONS),
                )
            if code == "other" and not note:
                raise InvalidInput(
                    "review_note_required", N_("This reason needs a note that says what is wrong."), field="note"
                )
            verdict = Verdict(Outcome.REJECTED, code)
        # Two reviewers may decide the same application at once: the conditional update lets one win.
        claimed = await self.db.execute(
            update(Application)
            .where(Application.id == application.id, Application.state == REVIEW)
            .values(state="deciding")
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await self.db.rollback()
            raise already_decided()
        verifier = make_verifier(self.db, self.settings, self.clock)
        await verifier.conclude(application, verdict, decided_by=f"staff:{staff.id}", note=note)
        await self.db.commit()
        return application

    async def _authorize(self, principal: Principal | None) -> StaffAccount:
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.REVIEWER)

    async def _waiting(self, application_id: int) -> tuple[Application, Card]:
        """The application and its card if it waits for a reviewer; decided ones are a conflict."""
        row = (
            await self.db.execute(
                select(Application, Card)
                .join(Card, Card.id == Application.card_id)
                .where(Application.id == application_id)
            )
        ).first()
        if row is None:
            raise not_in_review()
        application, card = row
        if application.state in DECIDED_STATES:
            raise already_decided()
        if application.state != REVIEW:
            raise not_in_review()
        return application, card
