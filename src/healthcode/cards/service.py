"""Use cases of residents' cards: apply, add photos, see cards and their state, remove links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cards.verification import Verifier, make_verifier
from healthcode.config import Settings
from healthcode.db.models import Application, ApplicationPhoto, Card, CardHolder, Resident
from healthcode.domain import cards as rules
from healthcode.domain.cards import REJECTION_REASONS, ApplicationKind, LinkStatus, Relationship
from healthcode.domain.clock import Clock
from healthcode.domain.crypto import OPAQUE_ID, blind_index, card_id, opaque_id
from healthcode.domain.documents import (
    DocumentType,
    birth_date_of,
    normalize_document_number,
    normalize_name,
    parse_document_type,
)
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.masking import mask_document, mask_name
from healthcode.i18n import translate
from healthcode.photos.decoding import clean_photo_bounded
from healthcode.privacy.sealed import Sealer
from healthcode.sms.provider import make_provider

# Resident ID and household register carry the same citizen number: one person, one card.
GUARDIAN_ENDED_TEXT = N_(
    "[Health Code] {name} has taken their health card off your phone; it no longer shows their code."
)
OPEN_STATES = ("awaiting_photos", "pending", "review")


@dataclass(frozen=True)
class CardView:
    """One card as the resident holding it sees it, with the state of their application."""

    card: Card
    holder: CardHolder
    application: Application | None
    status: str
    masked_name: str
    """The card's masked name once this phone's link is verified; until then the name this phone
    typed, masked: a join or claim tells nothing about an existing card before it is verified."""
    missing_photos: list[str] = field(default_factory=list)
    queue_position: int | None = None
    wait_s: int | None = None
    note: str | None = None
    """The reviewer's note on the application (opened)."""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    """The card's colour reasons (opened) once this phone's link shows the card."""

    @property
    def relationship(self) -> Relationship:
        return Relationship(self.holder.relationship)

    @property
    def document_type(self) -> DocumentType:
        return DocumentType(self.card.document_type)

    @property
    def reason_message(self) -> str | None:
        """Why the application was not approved, a msgid for the reader's catalog; None if no reason."""
        reason = self.application.reason if self.application else None
        return REJECTION_REASONS.get(reason or "")


def document_index(settings: Settings, document_type: DocumentType, number: str) -> str:
    """The keyed hash that finds a card by its document without storing the number in clear."""
    kind = "citizen" if document_type.carries_citizen_number else document_type.health_card_code
    return blind_index(settings.index_key_bytes, f"{kind}:{number}", purpose="document")


def not_on_this_phone() -> NotFound:
    """A resident asked for a card that is not on their phone (or no card at all)."""
    return NotFound("card_not_found", N_("No such card on this phone."), field="card_id")


async def card_by_public_id(db: AsyncSession, public_id: str) -> Card | None:
    """The card with this public identifier, or None. Text no card's identifier can be (not of
    :data:`~healthcode.domain.crypto.OPAQUE_ID`'s form, such as a NUL PostgreSQL would refuse in a
    path) is no card, without a query."""
    if not OPAQUE_ID.fullmatch(public_id):
        return None
    card: Card | None = await db.scalar(select(Card).where(Card.public_id == public_id))
    return card


async def existing_card(db: AsyncSession, public_id: str) -> Card:
    """:func:`card_by_public_id` for staff desks: 404 ``card_not_found`` when there is none."""
    card = await card_by_public_id(db, public_id)
    if card is None:
        raise NotFound("card_not_found", N_("No such card."), field="card_id")
    return card


async def card_by_document(
    db: AsyncSession, settings: Settings, clock: Clock, type_raw: str, number_raw: str
) -> tuple[DocumentType, Card | None]:
    """The card of a document as staff type it (checkpoints, clerks, authorities): the type and
    number checked and normalised (a birth date may not lie after today in the region), then one
    lookup by blind index. Raises :class:`InvalidInput` on ``document_type``/``document_number``."""
    document_type = parse_document_type(type_raw)
    today = clock.now().astimezone(settings.zone).date()
    number = normalize_document_number(document_type, number_raw, today)
    card = await db.scalar(select(Card).where(Card.document_index == document_index(settings, document_type, number)))
    return document_type, card


async def new_card(
    db: AsyncSession, settings: Settings, document_type: DocumentType, number: str, name: str, now: datetime
) -> Card:
    """A card for a document that has none yet, waiting for its first application's approval;
    ``number`` and ``name`` are normalised already and kept sealed."""
    sealer = Sealer(settings.keyring)
    card = Card(
        card_id=card_id(settings.card_key_bytes, document_type.health_card_code, number),
        public_id=opaque_id(),
        document_type=document_type.value,
        document_index=document_index(settings, document_type, number),
        document_enc=b"",
        name_enc=b"",
        masked_name=mask_name(name),
        masked_document=mask_document(number),
        birth_date=(born.isoformat() if (born := birth_date_of(document_type, number)) else None),
        status="pending",
        created_at=now,
    )
    sealer.seal_text(card, "document_enc", number)
    sealer.seal_text(card, "name_enc", name)
    db.add(card)
    await db.flush()
    return card


async def new_application(
    db: AsyncSession,
    settings: Settings,
    card: Card,
    kind: ApplicationKind,
    name: str,
    now: datetime,
    *,
    holder_id: int | None = None,
    resident_id: int | None = None,
    registered_by: str | None = None,
) -> Application:
    """An application for ``card`` waiting for its photos, with the name as typed (sealed): from a
    phone (``holder_id``, ``resident_id``) or registered at a desk (``registered_by``)."""
    application = Application(
        card_id=card.id,
        holder_id=holder_id,
        resident_id=resident_id,
        registered_by=registered_by,
        kind=kind.value,
        name_enc=b"",
        state="awaiting_photos",
        created_at=now,
    )
    db.add(application)
    await db.flush()
    Sealer(settings.keyring).seal_text(application, "name_enc", name)
    return application


async def keep_photo(
    db: AsyncSession, settings: Settings, clock: Clock, application: Application, side: str, data: bytes
) -> None:
    """Clean (re-encode, strip metadata), encrypt and keep one side's photo, replacing an earlier one."""
    image = await clean_photo_bounded(
        data,
        max_bytes=settings.photo_max_bytes,
        slots=settings.photo_decodes,
        wait_s=settings.photo_decode_wait_s,
    )
    existing = await db.scalar(
        select(ApplicationPhoto).where(ApplicationPhoto.application_id == application.id, ApplicationPhoto.side == side)
    )
    photo = existing or ApplicationPhoto(application_id=application.id, side=side)
    photo.media_type = image.media_type
    Sealer(settings.keyring).seal_bytes(photo, "content_enc", image.content)
    photo.uploaded_at = clock.now()
    db.add(photo)
    await db.flush()


async def missing_photos(db: AsyncSession, application: Application, document_type: DocumentType) -> list[str]:
    """The sides of the document still to photograph for an application, in the order asked."""
    present = set(
        await db.scalars(select(ApplicationPhoto.side).where(ApplicationPhoto.application_id == application.id))
    )
    return [side for side in document_type.photo_sides if side not in present]


def correct_application_name(settings: Settings, card: Card, application: Application, name: str) -> None:
    """A support agent corrects the name typed on an application not decided yet (FAQ 9); a card
    never approved takes it too (its name is the one typed first). An issued card's name is the
    document's and is never changed here. ``name`` is normalised already."""
    if card.status == "approved" or application.state in ("approved", "withdrawn", "deciding"):
        raise Conflict(
            "name_not_correctable",
            N_("Only the name of an application still being checked can be corrected; an issued card keeps its name."),
            field="name",
        )
    sealer = Sealer(settings.keyring)
    sealer.seal_text(application, "name_enc", name)
    sealer.seal_text(card, "name_enc", name)
    card.masked_name = mask_name(name)


class CardService:
    """Residents' cards. Verification itself is :class:`~healthcode.cards.verification.Verifier`."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, verifier: Verifier):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.verifier = verifier
        self.sealer = Sealer(settings.keyring)

    async def apply(
        self, resident_id: int, name_raw: str, type_raw: str, number_raw: str, relationship_raw: str
    ) -> CardView:
        """Apply for a card, or to hold an existing one; the application then waits for photos."""
        name = normalize_name(name_raw)
        document_type = parse_document_type(type_raw)
        today = self.clock.now().astimezone(self.settings.zone).date()
        number = normalize_document_number(document_type, number_raw, today)
        relationship = rules.parse_relationship(relationship_raw)
        card, holder, _ = await self.open_application(resident_id, name, document_type, number, relationship)
        await self.db.commit()
        return await self._view(card, holder)

    async def open_application(
        self, resident_id: int, name: str, document_type: DocumentType, number: str, relationship: Relationship
    ) -> tuple[Card, CardHolder, Application]:
        """:meth:`apply` for checked values, without committing: the link and the application
        (waiting for photos), or the refusal of :func:`~healthcode.domain.cards.plan_application`.
        A support agent's re-binding (FAQ 8) opens the application this way and concludes it."""
        index = document_index(self.settings, document_type, number)

        card = await self.db.scalar(select(Card).where(Card.document_index == index))
        mine = await self._links(CardHolder.resident_id == resident_id)
        theirs = await self._links(CardHolder.card_id == card.id) if card else []
        kind = rules.plan_application(
            relationship,
            card.id if card else None,
            card is not None and card.status == "approved",
            mine,
            theirs,
            self.settings.family_limits,
        )
        now = self.clock.now()
        if card is not None:
            await self.db.execute(
                update(CardHolder)
                .where(
                    CardHolder.card_id == card.id,
                    CardHolder.resident_id == resident_id,
                    CardHolder.status == LinkStatus.REJECTED.value,
                )
                .values(status=LinkStatus.ENDED.value)
            )
        if card is None:
            card = await new_card(self.db, self.settings, document_type, number, name, now)
        holder = CardHolder(
            card_id=card.id,
            resident_id=resident_id,
            relationship=relationship.value,
            status=LinkStatus.PENDING.value,
            created_at=now,
        )
        self.db.add(holder)
        await self.db.flush()
        application = await new_application(
            self.db, self.settings, card, kind, name, now, holder_id=holder.id, resident_id=resident_id
        )
        return card, holder, application

    async def add_photo(self, resident_id: int, public_id: str, side: str, data: bytes) -> CardView:
        """Clean, encrypt and keep one photo; once all sides are in, verification starts."""
        view = await self.get(resident_id, public_id)
        application = view.application
        if application is None or application.state != "awaiting_photos":
            raise Conflict("photos_not_expected", N_("This card is not waiting for photos."), field="side")
        sides = view.document_type.photo_sides
        if side not in sides:
            raise InvalidInput(
                "photo_side_unknown",
                N_("For this document upload: {sides}."),
                field="side",
                sides=", ".join(sides),
            )
        await keep_photo(self.db, self.settings, self.clock, application, side, data)
        if not await missing_photos(self.db, application, view.document_type):
            await self.verifier.submit(application)
        await self.db.commit()
        return await self.get(resident_id, public_id)

    async def all_for(self, resident_id: int) -> list[CardView]:
        """The resident's own card first, then family cards in the order they were added."""
        rows = await self.db.execute(
            select(Card, CardHolder)
            .join(CardHolder, CardHolder.card_id == Card.id)
            .where(CardHolder.resident_id == resident_id, CardHolder.status != LinkStatus.ENDED.value)
            .order_by((CardHolder.relationship != Relationship.SELF.value), CardHolder.id)
        )
        return [await self._view(card, holder) for card, holder in rows.all()]

    async def get(self, resident_id: int, public_id: str) -> CardView:
        """One of the resident's cards; another person's card reads as not found."""
        if not OPAQUE_ID.fullmatch(public_id):
            raise not_on_this_phone()
        row = (
            await self.db.execute(
                select(Card, CardHolder)
                .join(CardHolder, CardHolder.card_id == Card.id)
                .where(
                    Card.public_id == public_id,
                    CardHolder.resident_id == resident_id,
                    CardHolder.status != LinkStatus.ENDED.value,
                )
            )
        ).first()
        if row is None:
            raise not_on_this_phone()
        card, holder = row
        return await self._view(card, holder)

    async def end_link(self, resident_id: int, public_id: str) -> None:
        """Take a card off this phone: "this card is not me" for one's own link (FAQ 15), or
        removing a family member. The card and everyone else's links stay as they are."""
        view = await self.get(resident_id, public_id)
        view.holder.status = LinkStatus.ENDED.value
        if view.application is not None and view.application.state in OPEN_STATES:
            view.application.state = "withdrawn"
            view.application.decided_at = self.clock.now()
        await self.db.commit()

    async def guardians(self, resident_id: int, public_id: str) -> list[CardHolder]:
        """The family links of the resident's own card (to let them remove one)."""
        return await self.guardians_of(await self.get(resident_id, public_id))

    async def guardians_of(self, view: CardView) -> list[CardHolder]:
        """:meth:`guardians` of a card the caller has read already. Only the card's verified owner
        (their own link approved) sees them: a phone that has only typed the person's name and
        number for 二次申领 has proved nothing yet."""
        if view.relationship is not Relationship.SELF or view.status != "approved":
            return []
        rows = await self.db.scalars(
            select(CardHolder).where(
                CardHolder.card_id == view.card.id,
                CardHolder.relationship != Relationship.SELF.value,
                CardHolder.status == LinkStatus.ACTIVE.value,
            )
        )
        return list(rows)

    async def remove_guardian(self, resident_id: int, public_id: str, holder_id: int) -> None:
        """The card's verified owner ends a family member's link to it (§6: either side may); the
        phone that loses the card is told by SMS."""
        view = await self.get(resident_id, public_id)
        for holder in await self.guardians_of(view):
            if holder.id == holder_id:
                holder.status = LinkStatus.ENDED.value
                phone = await self.db.scalar(select(Resident.phone).where(Resident.id == holder.resident_id))
                if phone is not None:
                    text = translate(GUARDIAN_ENDED_TEXT, self.settings.default_language, name=view.card.masked_name)
                    await make_provider(self.settings, self.db, self.clock).send(phone, text)
                await self.db.commit()
                return
        raise NotFound("guardian_not_found", N_("This family phone no longer shows the card."), field="holder_id")

    async def _links(self, condition: object) -> list[rules.Link]:
        rows = await self.db.scalars(
            select(CardHolder).where(condition, CardHolder.status != LinkStatus.ENDED.value)  # type: ignore[arg-type]
        )
        return [rules.Link(h.resident_id, h.card_id, Relationship(h.relationship), LinkStatus(h.status)) for h in rows]

    async def _view(self, card: Card, holder: CardHolder) -> CardView:
        application = await self.db.scalar(
            select(Application).where(Application.holder_id == holder.id).order_by(Application.id.desc()).limit(1)
        )
        if holder.status == LinkStatus.ACTIVE.value and card.status == "approved":
            reasons = self.sealer.open_reasons(card.id, card.colour_reasons_enc)
            return CardView(card, holder, application, "approved", card.masked_name, reasons=reasons)
        typed = mask_name(self.sealer.open_text(application, "name_enc")) if application else "—"
        note = self.sealer.open_optional_text(application, "note_enc") if application else None
        if application is None or application.state == "rejected":
            return CardView(card, holder, application, "rejected", typed, note=note)
        missing: list[str] = []
        position = wait = None
        if application.state == "awaiting_photos":
            missing = await missing_photos(self.db, application, DocumentType(card.document_type))
        else:
            position, wait = await self.verifier.queue_place(application)
        return CardView(card, holder, application, "pending", typed, missing, position, wait, note)


def make_card_service(db: AsyncSession, settings: Settings, clock: Clock) -> CardService:
    return CardService(db, settings, clock, make_verifier(db, settings, clock))
