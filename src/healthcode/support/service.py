"""Use cases of support tickets on the resident's side: file one, list one's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.accounts.service import get_resident
from healthcode.cards.service import make_card_service
from healthcode.config import Settings
from healthcode.db.models import Ticket
from healthcode.domain.clock import Clock
from healthcode.domain.documents import (
    DocumentType,
    normalize_document_number,
    normalize_name,
    parse_document_type,
)
from healthcode.domain.errors import Conflict, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.masking import mask_name
from healthcode.domain.tickets import (
    TicketCategory,
    TicketStatus,
    normalize_text,
    parse_category,
    parse_error_code,
)
from healthcode.photos.decoding import clean_photo_bounded
from healthcode.photos.images import CleanImage
from healthcode.privacy.sealed import Sealer
from healthcode.support.desk.service import Reply, load_replies, ticket_not_found

REPORTED_MAX_LENGTH = 40
"""The longest name or number a ticket keeps as typed when the checks refused it."""


@dataclass(frozen=True)
class Identity:
    """The name and document a ticket carries; any part may be missing on a general ticket."""

    name: str | None = field(default=None, repr=False)
    document_type: DocumentType | None = None
    document_number: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CardFacts:
    """What a ticket copies from one of the resident's cards: who, and how the application went."""

    card_id: str
    identity: Identity
    masked_document: str
    application_state: str | None
    application_kind: str | None
    rejection_reason: str | None

    @property
    def masked_name(self) -> str:
        return mask_name(self.identity.name or "")

    @property
    def document_type(self) -> DocumentType | None:
        return self.identity.document_type

    def context(self) -> dict[str, Any]:
        return {
            "card_id": self.card_id,
            "application_state": self.application_state,
            "application_kind": self.application_kind,
            "rejection_reason": self.rejection_reason,
        }


def _checked(check: Callable[[str], str], raw: str, lenient: bool) -> str:
    """``check(raw)``; when ``lenient``, a refused value is kept as typed (trimmed, at most
    :data:`REPORTED_MAX_LENGTH` characters) unless it is empty."""
    try:
        return check(raw)
    except InvalidInput:
        reported = " ".join(raw.split())
        if not lenient or not reported or len(reported) > REPORTED_MAX_LENGTH or not reported.isprintable():
            raise
        return reported


@dataclass(frozen=True)
class TicketView:
    """A ticket as the resident who filed it reads it: its text opened, nothing else personal."""

    id: int
    category: str
    status: str
    created_at: datetime
    text: str
    replies: list[Reply] = field(default_factory=list)
    has_screenshot: bool = False


class SupportService:
    """Residents file tickets and see their own. A ticket filed from a card carries the card's
    document and the state of the resident's application, so the agent sees what failed without
    asking; the name and document are encrypted at rest like a card's (SPEC §12)."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.sealer = Sealer(settings.keyring)
        self.cards = make_card_service(db, settings, clock)

    async def file(
        self,
        resident_id: int,
        category: str,
        text: str,
        *,
        card_public_id: str | None = None,
        name: str | None = None,
        document_type: str | None = None,
        document_number: str | None = None,
        error_code: str | None = None,
        screenshot: bytes | None = None,
    ) -> Ticket:
        """File a ticket. With ``card_public_id`` the name and document come from that card (what
        the resident typed is then ignored); without, they are checked like an application's.
        ``screenshot`` (a screenshot or a photo of the document, FAQ 8) is cleaned like a document
        photo and kept encrypted; a file that is not a photo refuses the whole ticket."""
        chosen = parse_category(category)
        body = normalize_text(text)
        code = parse_error_code(error_code)
        resident = await get_resident(self.db, resident_id)
        context: dict[str, Any] = {
            "phone": resident.phone,
            "error_code": code,
            "card_id": None,
            "application_state": None,
            "application_kind": None,
            "rejection_reason": None,
        }
        if card_public_id:
            facts = await self.card_facts(resident_id, card_public_id)
            identity = facts.identity
            context.update(facts.context())
        else:
            identity = self._typed_identity(chosen, name, document_type, document_number)
        image = await self._clean(screenshot) if screenshot else None
        ticket = Ticket(
            resident_id=resident_id,
            category=chosen.value,
            document_type=identity.document_type.value if identity.document_type else None,
            text_enc=b"",
            context=json.dumps(context, sort_keys=True),
            status=TicketStatus.OPEN.value,
            created_at=self.clock.now(),
        )
        self.db.add(ticket)
        await self.db.flush()  # the ID binds the encrypted values to this row
        self.sealer.seal_text(ticket, "text_enc", body)
        if identity.name is not None:
            self.sealer.seal_text(ticket, "name_enc", identity.name)
        if identity.document_number is not None:
            self.sealer.seal_text(ticket, "document_enc", identity.document_number)
        if image is not None:
            self._keep_screenshot(ticket, image)
        await self.db.commit()
        return ticket

    async def attach_screenshot(self, resident_id: int, ticket_id: int, data: bytes) -> Ticket:
        """Attach the one screenshot a ticket may carry, after filing (the API's second call). A
        ticket that has one already, or is closed, refuses another; another resident's reads as
        not found."""
        ticket = await self.db.get(Ticket, ticket_id)
        if ticket is None or ticket.resident_id != resident_id:
            raise ticket_not_found()
        if ticket.screenshot_type is not None:
            raise Conflict(
                "ticket_screenshot_exists",
                N_("This ticket already has a picture. File a new ticket to send another one."),
                field="file",
            )
        if TicketStatus(ticket.status).closed:
            raise Conflict(
                "ticket_closed", N_("This ticket is closed. File a new ticket to send a picture."), field="file"
            )
        self._keep_screenshot(ticket, await self._clean(data))
        ticket.updated_at = self.clock.now()
        await self.db.commit()
        return ticket

    async def _clean(self, data: bytes) -> CleanImage:
        return await clean_photo_bounded(
            data,
            max_bytes=self.settings.photo_max_bytes,
            slots=self.settings.photo_decodes,
            wait_s=self.settings.photo_decode_wait_s,
        )

    def _keep_screenshot(self, ticket: Ticket, image: CleanImage) -> None:
        ticket.screenshot_type = image.media_type
        self.sealer.seal_bytes(ticket, "screenshot_enc", image.content)

    async def mine(self, resident_id: int) -> list[TicketView]:
        """The resident's own tickets, newest first."""
        rows = await self.db.scalars(
            select(Ticket).where(Ticket.resident_id == resident_id).order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
        return [
            TicketView(
                t.id,
                t.category,
                t.status,
                t.created_at,
                self.sealer.open_text(t, "text_enc"),
                await load_replies(self.db, self.sealer, t.id),
                t.screenshot_type is not None,
            )
            for t in rows.all()
        ]

    async def card_facts(self, resident_id: int, public_id: str) -> CardFacts:
        """One of the resident's cards, as a ticket would copy it; another person's is not found.

        The name is the one the resident gave in their latest application for the card: when
        verification failed on the name, the card's own name may be another person's.
        """
        view = await self.cards.get(resident_id, public_id)
        card, application = view.card, view.application
        if application is not None:
            name = self.sealer.open_text(application, "name_enc")
        else:
            name = self.sealer.open_text(card, "name_enc")
        number = self.sealer.open_text(card, "document_enc")
        return CardFacts(
            card_id=card.public_id,
            identity=Identity(name, DocumentType(card.document_type), number),
            masked_document=card.masked_document,
            application_state=application.state if application else None,
            application_kind=application.kind if application else None,
            rejection_reason=application.reason if application else None,
        )

    def refusal(self, name: str, type_raw: str, number_raw: str) -> InvalidInput | None:
        """Why applying refused what was typed (the ticket form says it again in words), or None."""
        try:
            self._typed_identity(TicketCategory.PARAMETER_ERROR, name, type_raw, number_raw, lenient=False)
        except InvalidInput as exc:
            return exc
        return None

    def _typed_identity(
        self,
        category: TicketCategory,
        name: str | None,
        type_raw: str | None,
        number_raw: str | None,
        *,
        lenient: bool | None = None,
    ) -> Identity:
        """What the resident typed, checked like an application; required for tickets about a
        document, optional (but checked when given) for the others. A ticket about details the
        app does not accept (FAQ 9) keeps the very name and number the checks refused, as typed:
        they are what the agent must look at (unless ``lenient`` is False)."""
        required = category.needs_identity
        if lenient is None:
            lenient = category is TicketCategory.PARAMETER_ERROR
        checked_name = _checked(normalize_name, name or "", lenient) if required or (name or "").strip() else None
        if not (required or (type_raw or "").strip() or (number_raw or "").strip()):
            return Identity(checked_name)
        doc_type = parse_document_type(type_raw or "")
        today = self.clock.now().astimezone(self.settings.zone).date()
        number = _checked(lambda raw: normalize_document_number(doc_type, raw, today), number_raw or "", lenient)
        return Identity(checked_name, doc_type, number)
