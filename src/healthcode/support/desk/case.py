"""What the support desk's fixes work on, as the ticket page shows it (masked), their refusals
shared by several fixes, and the replies they write to the resident (msgids)."""

from __future__ import annotations

from dataclasses import dataclass

from healthcode.db.models import Application, Card
from healthcode.domain.cards import LinkStatus, Relationship
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_

RECHECKABLE = ("pending", "rejected")
"""Application states an agent may have checked again or sent to the reviewers."""

REBOUND_REPLY = N_(
    "Your document photo matches the card of {name}. The card has been moved to this phone; "
    "the phone that showed it before no longer does."
)
RECHECKED_REPLY = N_("Your application for {name}'s card has been checked again: {outcome}.")
REVIEW_REPLY = N_("Your application for {name}'s card is now with the reviewers. You will get a text message.")
NAME_REPLY = N_("The name on your application has been corrected to {name}.")
LINK_ENDED_REPLY = N_("The card of {name} has been taken off your phone, as you asked.")
OUTCOMES = {
    "approved": N_("approved"),
    "rejected": N_("not approved"),
    "review": N_("sent to the reviewers"),
    "pending": N_("waiting for the check"),
}


@dataclass(frozen=True)
class HolderFact:
    """A phone that shows (or waits for) the ticket's card, masked."""

    masked_phone: str
    relationship: Relationship
    status: LinkStatus
    is_ticket_resident: bool


@dataclass(frozen=True)
class LinkFact:
    """One card on the ticket's resident's phone, masked, to end it if unwanted."""

    public_id: str
    masked_name: str
    masked_document: str
    relationship: Relationship
    status: LinkStatus


@dataclass(frozen=True)
class CaseFacts:
    """What the fixes work on: the card the ticket names (by its card or its document), who shows
    it, the resident's latest application for it, and the cards on the resident's phone."""

    card: Card | None
    holders: list[HolderFact]
    application: Application | None
    links: list[LinkFact]

    @property
    def document_type(self) -> DocumentType | None:
        return DocumentType(self.card.document_type) if self.card else None

    @property
    def on_residents_phone(self) -> bool:
        """The card shows on the ticket's phone as the resident's own: nothing to re-bind."""
        return any(
            h.is_ticket_resident and h.relationship is Relationship.SELF and h.status is LinkStatus.ACTIVE
            for h in self.holders
        )

    @property
    def application_open(self) -> bool:
        """The resident's application is not decided for good (the page offers its fixes then)."""
        return self.application is not None and self.application.state not in ("approved", "withdrawn")


def no_card() -> Conflict:
    return Conflict(
        "support_no_card",
        N_("This ticket names no card: no card has been applied for with the document it gives."),
        field="ticket",
    )


def no_application() -> Conflict:
    return Conflict(
        "support_no_application",
        N_("The resident has no application for this card from their phone."),
        field="application",
    )
