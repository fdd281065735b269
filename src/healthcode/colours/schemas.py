"""JSON shapes of a colour and the reasons behind it."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from healthcode.colours.service import stored_reasons
from healthcode.domain.colours import Decision
from healthcode.i18n import in_language


class ReasonOut(msgspec.Struct):
    """Why the code is not green, in the request's language, and what turns it green."""

    rule: str
    colour: str
    text: str
    green_when: str
    green_on: date | None


class ColourOut(msgspec.Struct):
    colour: str
    reasons: list[ReasonOut]
    green_on: date | None


def reasons_out(stored: list[dict[str, Any]]) -> list[ReasonOut]:
    """Reasons as kept on a card (see colours.service.stored_reasons)."""
    return [
        ReasonOut(
            rule=r["rule"],
            colour=r["colour"],
            text=in_language(r["text"]),
            green_when=in_language(r["green_when"]),
            green_on=date.fromisoformat(r["green_on"]) if r.get("green_on") else None,
        )
        for r in stored
    ]


def decision_out(decision: Decision) -> ColourOut:
    return ColourOut(decision.colour.value, reasons_out(stored_reasons(decision)), decision.green_on)
