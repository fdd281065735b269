"""Letting a person through a checkpoint (SPEC §8): the safe default and the deliberate exception.

Only a valid green code (scanned, or found by a manual check) held by someone without a fever lets
a person through plainly. On anything else (red, yellow, expired, forged, unreadable, a fever at the
gate) the default is to refuse; letting the
person through anyway is a separate step with a reason chosen from :class:`PassException`, which is
recorded and audited. Where a site takes everyone's temperature, nobody is let through without one.
The desk page decides through :func:`check_decision` and the offline desk's script follows the same
order; what a device uploads later has happened already, so it is recorded as sent (an allow of what
the server finds not acceptable is audited, with the device's reason or none).
"""

from __future__ import annotations

from enum import StrEnum

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_

MANUAL = "manual"
"""The verification word of a manual check by document (the card's colour is read, not a token)."""
VALID_REASONS = ("ok", MANUAL)
FEVER_AT = 37.3
"""°C: a reading at or above this at the gate counts against the card (the default rule's line)."""


class Decision(StrEnum):
    """What the official did. Values are stored and sent by devices: append only."""

    ALLOW = "allow"
    DENY = "deny"


class PassException(StrEnum):
    """Why a person without a valid green code was let through anyway. Stored: append only."""

    FEVER_CLINIC = "fever_clinic"
    ESCORTED = "escorted"
    EMERGENCY = "emergency"
    AUTHORISED = "authorised"

    @property
    def label(self) -> str:
        """English msgid of the reason, for translation."""
        return EXCEPTION_LABELS[self]


EXCEPTION_LABELS = {
    PassException.FEVER_CLINIC: N_("Taken to the fever clinic"),
    PassException.ESCORTED: N_("Escorted by staff, not mixing with others"),
    PassException.EMERGENCY: N_("Medical emergency"),
    PassException.AUTHORISED: N_("Authorised by the officer in charge"),
}


def plainly_acceptable(reason: str, colour: str | None, temperature: float | None = None) -> bool:
    """Whether a verdict lets the person through without an exception: a valid green code, and no
    fever taken at the gate."""
    fever = temperature is not None and temperature >= FEVER_AT
    return reason in VALID_REASONS and colour == "green" and not fever


def check_decision(
    *,
    reason: str,
    colour: str | None,
    decision_raw: str,
    exception_raw: str,
    temperature: float | None,
    temperature_required: bool,
) -> tuple[Decision, PassException | None]:
    """The decision on a verdict (``reason``, ``colour``) with the ``temperature`` taken (or None),
    and the exception it carries, if any.

    Refusing is always possible. Allowing a valid green code without a fever needs nothing more;
    allowing anything else needs a reason from :class:`PassException` (an exception given with a refusal or a green
    code is dropped: it did not happen). Where the site requires a temperature, no one is allowed
    without one. Raises :class:`InvalidInput` naming the field at fault.
    """
    try:
        decision = Decision(decision_raw)
    except ValueError:
        raise InvalidInput("decision_invalid", N_("Choose Allow or Refuse."), field="decision") from None
    if decision is Decision.DENY:
        return decision, None
    if temperature_required and temperature is None:
        raise InvalidInput(
            "temperature_required",
            N_("This site takes everyone's temperature: enter it before letting the person through."),
            field="temperature",
        )
    if plainly_acceptable(reason, colour, temperature):
        return decision, None
    try:
        return decision, PassException(exception_raw)
    except ValueError:
        raise InvalidInput(
            "exception_reason_required",
            N_("This is not a valid green code: refuse, or choose why the person is let through anyway."),
            field="exception_reason",
        ) from None
