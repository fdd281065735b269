"""Who may hold which card (SPEC §3, §6): kinds of application, family limits, real-name rules.

A card belongs to one document. Residents hold cards through links: their own (``self``) and
their family's (guardian links). These functions decide, from plain facts about the existing
links, what an application means and whether it is allowed; the service stores the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict, InvalidInput
from healthcode.domain.i18n import N_


class Relationship(StrEnum):
    """How the resident relates to the card's person. Stored and in the API: append only."""

    SELF = "self"
    PARENT = "parent"
    SPOUSE = "spouse"
    CHILD = "child"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


RELATIONSHIP_LABELS = {
    Relationship.SELF: N_("Myself"),
    Relationship.PARENT: N_("Parent"),
    Relationship.SPOUSE: N_("Spouse"),
    Relationship.CHILD: N_("Child"),
    Relationship.GRANDPARENT: N_("Grandparent"),
    Relationship.GRANDCHILD: N_("Grandchild"),
    Relationship.SIBLING: N_("Brother or sister"),
    Relationship.OTHER: N_("Other family member"),
}


class ApplicationKind(StrEnum):
    """What an application asks for; see ``db.models.cards.Application``."""

    NEW = "new"
    JOIN = "join"
    CLAIM = "claim"
    REBIND = "rebind"


class LinkStatus(StrEnum):
    """A link waits for its application, then shows the card until someone ends it; a rejected
    link stays visible (with the reason) until the resident applies again or removes it."""

    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    ENDED = "ended"

    @property
    def live(self) -> bool:
        return self in (LinkStatus.PENDING, LinkStatus.ACTIVE)


@dataclass(frozen=True)
class Link:
    """An existing link between a resident and a card."""

    resident_id: int
    card_id: int
    relationship: Relationship
    status: LinkStatus


@dataclass(frozen=True)
class FamilyLimits:
    """SPEC §6: 8 dependants per guardian, 3 guardians per dependant (settings)."""

    max_dependants: int = 8
    max_guardians: int = 3


def parse_relationship(raw: str) -> Relationship:
    try:
        return Relationship((raw or "").strip().lower())
    except ValueError:
        raise InvalidInput(
            "relationship_unknown",
            N_("Choose a relationship: {known}."),
            field="relationship",
            known=", ".join(r.value for r in Relationship),
        ) from None


def plan_application(
    relationship: Relationship,
    card_id: int | None,
    card_approved: bool,
    applicant_links: Iterable[Link],
    card_links: Iterable[Link],
    limits: FamilyLimits,
) -> ApplicationKind:
    """Decide what an application means, or refuse it with a reason the resident can act on.

    ``applicant_links`` are the applicant's live (pending or active) links; ``card_links`` the
    live links of the card the document belongs to (none when it has no card yet, ``card_id``
    None). A card never approved is applied for anew.
    """
    mine = [link for link in applicant_links if link.status.live]
    theirs = [link for link in card_links if link.status.live]
    if card_id is not None and any(link.card_id == card_id for link in mine):
        raise Conflict("card_already_held", N_("This card is already on your phone."), field="document_number")
    if relationship is Relationship.SELF:
        if any(link.relationship is Relationship.SELF for link in mine):
            raise Conflict(
                "self_card_exists",
                N_(
                    "You already have your own card on this phone. Add other people as family "
                    "members, or choose 'This card is not me' on a card that is not yours."
                ),
                field="relationship",
            )
        if card_id is None:
            return ApplicationKind.NEW
        if not card_approved:
            if any(link.relationship is Relationship.SELF for link in theirs):
                raise Conflict(
                    "card_application_pending",
                    N_(
                        "An application for this document is being checked. Wait for its result; "
                        "if it is not yours, file a support ticket."
                    ),
                    field="document_number",
                )
            return ApplicationKind.NEW
        owned = any(link.relationship is Relationship.SELF and link.status is LinkStatus.ACTIVE for link in theirs)
        return ApplicationKind.REBIND if owned else ApplicationKind.CLAIM
    dependants = sum(1 for link in mine if link.relationship is not Relationship.SELF)
    if dependants >= limits.max_dependants:
        raise Conflict(
            "family_too_many_dependants",
            N_("You can add at most {limit} family members. Remove one before adding another."),
            field="relationship",
            limit=limits.max_dependants,
        )
    guardians = sum(1 for link in theirs if link.relationship is not Relationship.SELF)
    if guardians >= limits.max_guardians:
        raise Conflict(
            "family_too_many_guardians",
            N_("This person's card is already shown on {limit} family phones, the most allowed."),
            field="document_number",
            limit=limits.max_guardians,
        )
    return ApplicationKind.JOIN if card_id is not None and card_approved else ApplicationKind.NEW


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Verdict:
    """A real-name check's answer; ``reason`` is a code from :data:`REJECTION_REASONS`."""

    outcome: Outcome
    reason: str | None = None


REJECTION_REASONS = {
    "name_mismatch": N_("The name does not match the document."),
    "identity_not_found": N_("The identity service does not know this document."),
    "photo_unreadable": N_("The photos cannot be read. Take them again in good light, without glare."),
    "photo_mismatch": N_("The photos do not show the document entered."),
    "not_a_document": N_("The photos are not of an identity document."),
    "duplicate": N_("This person already has a card; it has been linked instead."),
    "other": N_("The application could not be confirmed. See the note, or call the hotline."),
}


@dataclass(frozen=True)
class RealNameRules:
    """How the built-in offline provider decides (SPEC §3: "by configurable rules").

    Documents the public-security check covers are approved; the rest, and any application that
    would move a card away from another phone, go to the reviewers.
    """

    review_types: frozenset[DocumentType]

    def decide(self, document_type: DocumentType, kind: ApplicationKind) -> Verdict:
        if kind is ApplicationKind.REBIND or document_type in self.review_types:
            return Verdict(Outcome.UNDECIDED)
        return Verdict(Outcome.APPROVED)


def estimated_wait_s(position: int, due_in_s: int, per_application_s: int) -> int:
    """Seconds until a decision: the remaining delay plus the applications ahead in the queue."""
    return max(0, due_in_s) + max(0, position) * per_application_s
