"""Accountable recoding (SPEC §5): a reason code, evidence, and two different officials.

In 2022 Zhengzhou gave 1,317 bank depositors red codes without grounds. Here a recode needs a
listed reason and written evidence (for officials only), is proposed by one official and decided by another, is shown
to the resident with its reason, and can be appealed to a third.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from healthcode.domain.colours import Colour
from healthcode.domain.errors import Forbidden, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.text import form_text

MIN_EVIDENCE, MAX_EVIDENCE = 10, 2000
MAX_RESIDENT_NOTE = 300
MAX_DAYS = 60

# Stored and shown to residents: append only.
RECODE_REASONS = {
    "traced_close_contact": N_("Identified as a close contact by epidemiological tracing"),
    "positive_test": N_("Positive nucleic acid test"),
    "quarantine_order": N_("Under a quarantine or medical observation order"),
    "travel_verified": N_("Travel from a risk area confirmed by itinerary data"),
    "data_correction": N_("Correction of wrong data"),
    "control_lifted": N_("Health control lifted by the authority"),
}


def check_proposal(
    colour: str, reason_code: str, evidence: str, days: int | None, now: datetime, resident_note: str = ""
) -> tuple[Colour, datetime | None]:
    """Validate a proposal; returns the colour and when the recode ends (None: until revoked).

    ``evidence`` is internal (officials only: train numbers, carriages, which team); the resident
    sees the listed reason and ``resident_note``, an optional text written for them."""
    try:
        chosen = Colour(colour)
    except ValueError:
        raise InvalidInput("colour_unknown", N_("Choose green, yellow or red."), field="colour") from None
    if reason_code not in RECODE_REASONS:
        raise InvalidInput("recode_reason_unknown", N_("Choose a reason from the list."), field="reason_code")
    text = form_text(evidence)
    if not MIN_EVIDENCE <= len(text) <= MAX_EVIDENCE:
        raise InvalidInput(
            "evidence_required",
            N_("Describe the evidence in {low} to {high} characters: what was found, where, by whom."),
            field="evidence",
            low=MIN_EVIDENCE,
            high=MAX_EVIDENCE,
        )
    if len(form_text(resident_note)) > MAX_RESIDENT_NOTE:
        raise InvalidInput(
            "resident_note_too_long",
            N_("The note for the resident has at most {n} characters."),
            field="resident_note",
            n=MAX_RESIDENT_NOTE,
        )
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "recode_days", N_("A recode lasts 1 to {n} days, or until it is revoked."), field="days", n=MAX_DAYS
        )
    return chosen, (now + timedelta(days=days) if days else None)


def ensure_second_official(actor_id: int, *involved: int | None) -> None:
    """Four-eyes: nobody decides on a recode they proposed or already decided."""
    if actor_id in involved:
        raise Forbidden(
            "four_eyes_required",
            N_("Another official must decide this: you proposed or decided it yourself."),
        )
