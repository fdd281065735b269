"""Electronic health cards, who holds them, applications for them and their photos."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class Card(Base):
    """One person's electronic health card (电子健康卡): one per document, applied for once.

    The document number and name are stored encrypted (``*_enc``, AES-GCM under the data keyring);
    ``document_index`` is a keyed hash for lookups, ``card_id`` the health-card scheme's ID (SM4 of
    the document: deterministic, so it stays inside the platform and its exchanges with other
    health-card systems), ``public_id`` the random identifier of URLs, pages and the API.
    The masked forms are kept in clear because every screen shows them and none needs more.
    The colour and its reasons are stored here when their inputs change (never computed on
    read: showing a code is the hot path); ``recheck_at`` is when time alone may change them.
    ``colour`` is None until the card's first health declaration: the code is made from one.
    ``colour_stamp`` is an opaque number every colour write replaces; a write lands only on the
    stamp it read (:class:`healthcode.colours.service.ColourService`).
    """

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    document_type: Mapped[str] = mapped_column(String(40))
    document_index: Mapped[str] = mapped_column(String(64), unique=True)
    document_enc: Mapped[bytes] = mapped_column(LargeBinary)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    masked_name: Mapped[str] = mapped_column(String(60))
    masked_document: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    colour: Mapped[str | None] = mapped_column(String(8))
    colour_reasons_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The reasons of ``colour`` as JSON, sealed: they quote what people wrote (a recode's note
    for the resident). None when there are none (no colour yet)."""
    colour_changed_at: Mapped[datetime | None]
    green_on: Mapped[date | None] = mapped_column(Date)
    recheck_at: Mapped[datetime | None] = mapped_column(index=True)
    colour_stamp: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CardHolder(Base):
    """A resident login that shows a card: the person themself (``self``) or a guardian.

    ``status`` is ``pending`` until the application that created the link is approved.
    """

    __tablename__ = "card_holders"
    __table_args__ = (
        Index("ix_card_holders_resident", "resident_id", "status"),
        Index("ix_card_holders_card", "card_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    relationship: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class Application(Base):
    """A request to hold a card, checked by the real-name provider or a reviewer.

    ``kind``: ``new`` (first card for a document), ``join`` (a guardian adds an existing card),
    ``claim`` (二次申领: the person takes their card onto their own phone), ``rebind`` (the card's
    own link moves to this phone after proof, FAQ 8/15). ``state``: ``awaiting_photos``,
    ``pending`` (with the provider, due at ``due_at``), ``review`` (reviewers' queue),
    ``approved``, ``rejected`` (with ``reason``).

    A walk-in registered by a clerk (SPEC §9) has no holder and no resident: ``registered_by``
    names the clerk (``staff:{id}``), the approved card is shown on no phone until its owner
    claims it (二次申领), and nobody is told by SMS.
    """

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_state_due", "state", "due_at"),
        Index("ix_applications_state_submitted", "state", "submitted_at"),
        Index("ix_applications_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("card_holders.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    registered_by: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(40))
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The reviewer's note (free text, sealed)."""


class ApplicationPhoto(Base):
    """A cleaned, encrypted document photo; only reviewers ever see it, and each view is audited."""

    __tablename__ = "application_photos"
    __table_args__ = (Index("ix_application_photos_app_side", "application_id", "side", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    side: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(20))
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime]
