"""Support tickets (SPEC §10): what a resident may file them about, and what they may write.

The guide answers its hardest questions (FAQ 6, 8, 9) with "leave your name, ID number and phone
and the back office will handle it". Here that is a ticket, filed from the page that failed and
pre-filled with what failed, so the resident writes only what the platform cannot know.
"""

from __future__ import annotations

import re
from enum import StrEnum

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.text import form_text

TEXT_MAX_LENGTH = 2000
ERROR_CODE_MAX_LENGTH = 40
_ERROR_CODE = re.compile(rf"[a-z][a-z0-9_]{{0,{ERROR_CODE_MAX_LENGTH - 1}}}")


class TicketCategory(StrEnum):
    """What a ticket is about. Stored, in the API and in links from other pages: append only."""

    REALNAME_FAILED = "realname_failed"  # FAQ 6: verification never passes
    PHONE_TAKEN = "phone_taken"  # FAQ 8: the document's card is on another phone
    PARAMETER_ERROR = "parameter_error"  # FAQ 9: the app refuses the resident's data
    FAMILY = "family"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The English name, a msgid for the reader's catalog."""
        return _LABELS[self]

    @property
    def hint(self) -> str | None:
        """What the resident can try first, where a safe self-service path exists (msgid)."""
        return _HINTS.get(self)

    @property
    def needs_identity(self) -> bool:
        """Tickets about a document are of no use to an agent without the name and document."""
        return self in _IDENTITY_CATEGORIES


class TicketStatus(StrEnum):
    """Where a ticket stands. Stored and in the API: append only (the agents' queue adds more)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # for the resident: an agent asked them something
    SOLVED = "solved"
    REFUSED = "refused"  # with a reason, given in a reply

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        return self in (TicketStatus.SOLVED, TicketStatus.REFUSED)


_LABELS: dict[TicketCategory, str] = {
    TicketCategory.REALNAME_FAILED: N_("My real-name verification does not pass"),
    TicketCategory.PHONE_TAKEN: N_("My document's card is on another phone"),
    TicketCategory.PARAMETER_ERROR: N_("The app does not accept my details"),
    TicketCategory.FAMILY: N_("Adding or removing a family member"),
    TicketCategory.OTHER: N_("Something else"),
}

_HINTS: dict[TicketCategory, str] = {
    TicketCategory.REALNAME_FAILED: N_(
        "Check that this mobile number is registered in your own name; if it is not, log in with one that is, "
        "or have the carrier change the registration. If it is yours, file the ticket."
    ),
    TicketCategory.PHONE_TAKEN: N_(
        "If the card is yours, you can apply for it on this phone with your document and photos; after a "
        "review it moves here. If that is refused, file a ticket."
    ),
}

_IDENTITY_CATEGORIES = frozenset(
    {TicketCategory.REALNAME_FAILED, TicketCategory.PHONE_TAKEN, TicketCategory.PARAMETER_ERROR}
)

_STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.OPEN: N_("Waiting for an agent"),
    TicketStatus.IN_PROGRESS: N_("An agent is working on it"),
    TicketStatus.WAITING: N_("Waiting for your answer"),
    TicketStatus.SOLVED: N_("Solved"),
    TicketStatus.REFUSED: N_("Refused"),
}

# Where an agent may move a ticket from each status. A closed ticket may be opened again.
STATUS_FLOW: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.REFUSED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.WAITING, TicketStatus.SOLVED, TicketStatus.REFUSED}),
    TicketStatus.WAITING: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.SOLVED, TicketStatus.REFUSED}),
    TicketStatus.SOLVED: frozenset({TicketStatus.IN_PROGRESS}),
    TicketStatus.REFUSED: frozenset({TicketStatus.IN_PROGRESS}),
}


def next_status(current: str, wanted: str) -> TicketStatus:
    """``wanted`` if the flow allows it from ``current``; otherwise a clear refusal."""
    try:
        target = TicketStatus((wanted or "").strip())
    except ValueError:
        raise InvalidInput("ticket_status_unknown", N_("Choose a status from the list."), field="status") from None
    if target not in STATUS_FLOW.get(TicketStatus(current), frozenset()):
        raise InvalidInput(
            "ticket_status_not_allowed",
            N_("A ticket cannot move from “{current}” to “{wanted}”."),
            field="status",
            current=current,
            wanted=target.value,
        )
    return target


def parse_category(raw: str) -> TicketCategory:
    """The category named by ``raw`` (its value, any case, surrounding spaces allowed)."""
    try:
        return TicketCategory((raw or "").strip().lower())
    except ValueError:
        raise InvalidInput(
            "ticket_category_unknown",
            N_("Choose what your ticket is about."),
            field="category",
            known=", ".join(TicketCategory),
        ) from None


def status_label(value: str) -> str:
    """The msgid of a stored status; a status this code does not know yet shows as it is stored."""
    try:
        return TicketStatus(value).label
    except ValueError:
        return value


def normalize_text(raw: str) -> str:
    """The resident's description (:func:`~healthcode.domain.text.form_text`), 1 to 2000 characters."""
    text = form_text(raw)
    if not text:
        raise InvalidInput(
            "ticket_text_required",
            N_("Describe what happened and what you need, in a few words."),
            field="text",
        )
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidInput(
            "ticket_text_too_long",
            N_("Write at most {max_length} characters; this text has {length}."),
            field="text",
            max_length=TEXT_MAX_LENGTH,
            length=len(text),
        )
    return text


def parse_error_code(raw: str | None) -> str | None:
    """The code of the error the resident saw (``document_checksum``), or None when none is given."""
    code = (raw or "").strip()
    if not code:
        return None
    if _ERROR_CODE.fullmatch(code) is None:
        raise InvalidInput(
            "ticket_error_code_invalid",
            N_("The error code is not one this platform uses. Leave it out, or copy it as shown."),
            field="error_code",
        )
    return code
