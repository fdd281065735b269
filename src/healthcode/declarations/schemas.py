"""JSON shapes of declarations (API.md)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from healthcode.colours.schemas import ReasonOut


class DeclarationIn(msgspec.Struct):
    """SPEC §4 / API.md. ``pledge`` must be true: false declarations are prosecuted."""

    address_region: str
    address_detail: str
    pledge: bool
    temperature: float | None = None
    symptoms: list[str] = []
    travel_regions: list[str] = []
    contact_with_case: bool = False
    under_quarantine: bool = False
    case_status: str = "none"


class DeclaredOut(msgspec.Struct):
    version: int
    declared_at: datetime
    colour: str | None
    """The colour the declaration gives (a card has none only before its first)."""
    reasons: list[ReasonOut]
    green_on: date | None


class DeclarationOut(msgspec.Struct):
    version: int
    declared_at: datetime
    temperature: float | None
    symptoms: list[str]
    travel_regions: list[str]
    contact_with_case: bool
    under_quarantine: bool
    case_status: str
