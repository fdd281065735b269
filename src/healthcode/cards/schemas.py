"""JSON shapes of the cards API (API.md ``/cards``)."""

from __future__ import annotations

from datetime import date

import msgspec

from healthcode.cards.service import CardView
from healthcode.colours.schemas import ReasonOut, reasons_out
from healthcode.i18n import translate


class CardApplicationIn(msgspec.Struct):
    name: str
    document_type: str
    document_number: str
    relationship: str = "self"


class ApplicationOut(msgspec.Struct):
    """Where the resident's application stands (FAQ 18: state, place in the queue, estimate)."""

    state: str
    kind: str
    missing_photos: list[str]
    queue_position: int | None
    wait_seconds: int | None
    reason: str | None
    reason_message: str | None
    note: str | None


class CardOut(msgspec.Struct):
    card_id: str
    status: str
    masked_name: str
    masked_document: str
    document_type: str
    relationship: str
    application: ApplicationOut | None
    colour: str | None = None
    reasons: list[ReasonOut] = []
    green_on: date | None = None


class GuardianOut(msgspec.Struct):
    id: int
    relationship: str


def card_out(view: CardView) -> CardOut:
    application = None
    if view.application is not None and view.status != "approved":
        reason = view.application.reason
        application = ApplicationOut(
            state=view.application.state,
            kind=view.application.kind,
            missing_photos=view.missing_photos,
            queue_position=view.queue_position,
            wait_seconds=view.wait_s,
            reason=reason,
            reason_message=translate(view.reason_message) if view.reason_message else None,
            note=view.note,
        )
    return CardOut(
        card_id=view.card.public_id,
        status=view.status,
        masked_name=view.masked_name,
        masked_document=view.card.masked_document,
        document_type=view.card.document_type,
        relationship=view.holder.relationship,
        application=application,
        colour=view.card.colour if view.status == "approved" else None,
        reasons=reasons_out(view.reasons) if view.status == "approved" else [],
        green_on=view.card.green_on if view.status == "approved" else None,
    )
