"""Walk-ins at designated institutions (SPEC §9, guide: people without smartphones): a clerk
registers a person who has no card and no phone, photographs their document, sends it to the
real-name check (or the reviewers' queue), takes their health declaration at the desk, and then
prints their certificate on the certificates desk.

A walk-in's application has no holder and no resident (``registered_by`` is the clerk): the card is
shown on no phone until its owner claims it later with 二次申领, which needs nothing new here.
Every step is checked against the clerk role and recorded in the audit trail (``walkins.*``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.cards.service import (
    OPEN_STATES,
    document_index,
    existing_card,
    keep_photo,
    missing_photos,
    new_application,
    new_card,
)
from healthcode.cards.verification import Verifier, make_verifier
from healthcode.config import Settings
from healthcode.db.models import Application, Card, StaffAccount
from healthcode.declarations.service import DeclarationService, Declared, make_declaration_service, not_issued
from healthcode.domain.cards import REJECTION_REASONS, ApplicationKind
from healthcode.domain.clock import Clock
from healthcode.domain.colours import Decision
from healthcode.domain.declarations import Answers
from healthcode.domain.documents import DocumentType, normalize_document_number, normalize_name, parse_document_type
from healthcode.domain.errors import Conflict, DomainError, InvalidInput, InvalidInputs
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

T = TypeVar("T")


@dataclass(frozen=True)
class WalkIn:
    """A card as the clerk's desk follows it: its latest application (made at a desk or from a
    phone) and where that application stands."""

    card: Card
    application: Application | None
    missing_photos: list[str]
    queue_position: int | None = None
    wait_s: int | None = None

    @property
    def document_type(self) -> DocumentType:
        return DocumentType(self.card.document_type)

    @property
    def state(self) -> str:
        """``awaiting_photos``, ``checking`` (provider or reviewers), ``rejected``, ``issued``
        (approved, no declaration yet) or ``declared`` (a certificate can be printed)."""
        if self.card.status == "approved":
            return "declared" if self.card.colour is not None else "issued"
        if self.application is None:
            return "checking"
        if self.application.state in ("pending", "deciding", "review"):
            return "checking"
        return self.application.state

    @property
    def at_desk(self) -> bool:
        """The latest application was registered at a desk (not made from a phone)."""
        return self.application is not None and self.application.registered_by is not None

    @property
    def in_review(self) -> bool:
        return self.application is not None and self.application.state == "review"

    @property
    def reason_message(self) -> str | None:
        """Why the registration was not approved, a msgid for the reader's catalog."""
        reason = self.application.reason if self.application else None
        return REJECTION_REASONS.get(reason or "")


def card_exists(card: Card) -> Conflict:
    if card.status == "approved":
        return Conflict(
            "walkin_card_exists",
            N_("This document already has a health card. Find it on the certificates desk to print a certificate."),
            field="document_number",
        )
    return Conflict(
        "card_application_pending",
        N_("An application for this document is being checked. Wait for its result before registering again."),
        field="document_number",
    )


class WalkInService(AuditedService):
    """The clerk's side of a walk-in; ``actor`` in the audit trail is ``staff:{id}``."""

    def __init__(
        self, db: AsyncSession, settings: Settings, clock: Clock, verifier: Verifier, declarations: DeclarationService
    ):
        super().__init__(db, settings, clock)
        self.verifier = verifier
        self.declarations = declarations

    async def authorize(self, principal: Principal | None) -> StaffAccount:
        """The signed-in clerk; 401 without a staff sign-in, 403 without the clerk role."""
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.CLERK)

    async def register(self, principal: Principal | None, name_raw: str, type_raw: str, number_raw: str) -> Card:
        """A new card (or a new try for a card whose registration was refused) for a person seen at
        the desk; the application then waits for the document's photos. Every field is checked at
        once, each problem beside its field. Commits."""
        staff = await self.authorize(principal)
        name, document_type, number = self._checked_person(name_raw, type_raw, number_raw)
        now = self.clock.now()
        index = document_index(self.settings, document_type, number)
        card = await self.db.scalar(select(Card).where(Card.document_index == index))
        if card is not None and (card.status == "approved" or await self._open_application(card)):
            raise card_exists(card)
        if card is None:
            card = await new_card(self.db, self.settings, document_type, number, name, now)
        application = await new_application(
            self.db, self.settings, card, ApplicationKind.NEW, name, now, registered_by=f"staff:{staff.id}"
        )
        await self.audit.record(
            f"staff:{staff.id}",
            "walkins.register",
            f"card:{card.public_id}",
            application=application.id,
            document_type=document_type.value,
        )
        await self.db.commit()
        return card

    async def walk_in(self, principal: Principal | None, public_id: str) -> WalkIn:
        """Where a card's registration at a desk stands (masked data only)."""
        await self.authorize(principal)
        return await self._walk_in(await existing_card(self.db, public_id))

    async def add_photos(self, principal: Principal | None, public_id: str, photos: dict[str, bytes]) -> WalkIn:
        """Keep the photos taken or uploaded at the desk (one per side, each cleaned and sealed);
        once every side is in, the real-name check starts. Commits."""
        staff = await self.authorize(principal)
        walk_in = await self._walk_in(await existing_card(self.db, public_id))
        application = walk_in.application
        if application is None or application.state != "awaiting_photos" or not walk_in.at_desk:
            raise Conflict("photos_not_expected", N_("This registration is not waiting for photos."), field="_form")
        sides = walk_in.document_type.photo_sides
        if not photos:
            raise InvalidInput(
                "photo_required",
                N_("Take or choose a photo of the document."),
                field=f"photo-{walk_in.missing_photos[0]}",
            )
        for side, content in photos.items():
            if side not in sides:
                raise InvalidInput(
                    "photo_side_unknown",
                    N_("For this document upload: {sides}."),
                    field="_form",
                    sides=", ".join(sides),
                )
            try:
                await keep_photo(self.db, self.settings, self.clock, application, side, content)
            except DomainError as problem:
                # the photo's problems (too large, not a photo, busy, ...) are said beside its side
                if problem.field == "file":
                    problem.field = f"photo-{side}"
                raise
        missing = await missing_photos(self.db, application, walk_in.document_type)
        if not missing:
            await self.verifier.submit(application)
        await self.audit.record(
            f"staff:{staff.id}",
            "walkins.photos",
            f"card:{walk_in.card.public_id}",
            application=application.id,
            sides=sorted(photos),
        )
        await self.db.commit()
        return await self._walk_in(walk_in.card)

    async def declarable(self, principal: Principal | None, public_id: str) -> Card:
        """An issued card whose holder declares at the desk (a walk-in, or anyone without a phone
        at hand); the read is audited."""
        staff = await self.authorize(principal)
        card = await self._issued(public_id)
        await self.audit.record(f"staff:{staff.id}", "walkins.declaration_form", f"card:{card.public_id}")
        await self.db.commit()
        return card

    async def preview(self, card: Card, answers: Answers) -> Decision:
        """The colour these answers would give, without keeping them."""
        return await self.declarations.preview_for(card, answers)

    async def declare(self, principal: Principal | None, public_id: str, answers: Answers) -> Declared:
        """Keep the declaration the person gave at the desk (``taken_by`` the clerk) and recolour
        their card. Commits."""
        staff = await self.authorize(principal)
        card = await self._issued(public_id)
        await self.audit.record(f"staff:{staff.id}", "walkins.declare", f"card:{card.public_id}")
        return await self.declarations.keep(card, answers, taken_by=f"staff:{staff.id}")

    def _checked_person(self, name_raw: str, type_raw: str, number_raw: str) -> tuple[str, DocumentType, str]:
        """The name and document as typed, normalised; every problem at once (:class:`InvalidInputs`)."""
        problems: list[InvalidInput] = []

        def document() -> tuple[DocumentType, str]:
            document_type = parse_document_type(type_raw)
            today = self.clock.now().astimezone(self.settings.zone).date()
            return document_type, normalize_document_number(document_type, number_raw, today)

        def checked(check: Callable[[], T]) -> T | None:
            try:
                return check()
            except InvalidInput as problem:
                problems.append(problem)
                return None

        name = checked(lambda: normalize_name(name_raw))
        typed = checked(document)
        if name is None or typed is None:
            raise InvalidInputs(problems)
        return name, *typed

    async def _issued(self, public_id: str) -> Card:
        card = await existing_card(self.db, public_id)
        if card.status != "approved":
            raise not_issued()
        return card

    async def _open_application(self, card: Card) -> bool:
        return (
            await self.db.scalar(
                select(Application.id)
                .where(Application.card_id == card.id, Application.state.in_(OPEN_STATES))
                .limit(1)
            )
        ) is not None

    async def _walk_in(self, card: Card) -> WalkIn:
        application = await self.db.scalar(
            select(Application).where(Application.card_id == card.id).order_by(Application.id.desc()).limit(1)
        )
        if application is None or card.status == "approved":
            return WalkIn(card, application, [])
        if application.state == "awaiting_photos":
            return WalkIn(
                card, application, await missing_photos(self.db, application, DocumentType(card.document_type))
            )
        if application.state in ("pending", "review"):
            position, wait = await self.verifier.queue_place(application)
            return WalkIn(card, application, [], position, wait)
        return WalkIn(card, application, [])


def make_walk_in_service(db: AsyncSession, settings: Settings, clock: Clock) -> WalkInService:
    return WalkInService(
        db, settings, clock, make_verifier(db, settings, clock), make_declaration_service(db, settings, clock)
    )
