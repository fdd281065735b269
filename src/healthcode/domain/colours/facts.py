"""Everything the colour engine may look at, as plain frozen values (SPEC §4, §5).

The services read these from the store (the card's latest declaration, the authority lists that
name the person, the risk areas, test results, approved recodes, checkpoint readings) and hand them
over; the engine never asks for more. All datetimes are timezone-aware (UTC by convention); a naive
one is refused when the value is built, because the day counting depends on the zone.

Periods are half-open everywhere: a thing applies from its start (``since``, ``effective_from``,
``effective_at``) up to but not including its end (``until``, ``effective_to``). A date as a start
or end means 00:00 of that day in the region's zone.

The word lists below (:data:`SYMPTOMS`, :data:`CASE_STATUSES`, :data:`LIST_KINDS`,
:data:`RISK_LEVELS`) are the values the API and the stored data carry: append only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from healthcode.domain.colours.colour import Colour
from healthcode.domain.declarations import CaseStatus, Symptom

SYMPTOMS = frozenset(symptom.value for symptom in Symptom)
CASE_STATUSES = frozenset(status.value for status in CaseStatus)
LIST_KINDS = frozenset({"confirmed", "suspected", "asymptomatic", "close_contact", "secondary_contact", "isolation"})
RISK_LEVELS = frozenset({"high", "medium"})


def _require_aware(owner: str, name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{owner}.{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class Declaration:
    """The resident's latest health declaration (SPEC §4; field names as in API.md).

    Only the latest counts: declaring again replaces every answer, which is how a resident corrects
    a mistake (guide FAQ 13/14).
    """

    declared_at: datetime
    temperature: float | None
    symptoms: frozenset[str]
    travel_regions: tuple[str, ...]
    contact_with_case: bool
    under_quarantine: bool
    case_status: str

    def __post_init__(self) -> None:
        _require_aware("Declaration", "declared_at", self.declared_at)


@dataclass(frozen=True)
class ListEntry:
    """The person named on an authority list of ``kind`` (one of :data:`LIST_KINDS`).

    On the list from 00:00 on ``since``; off it from 00:00 on ``until`` (the day the authority
    lifted it), or not by time at all when ``until`` is None.
    """

    kind: str
    since: date
    until: date | None


@dataclass(frozen=True)
class RiskArea:
    """A high or medium risk area, effective from ``effective_from`` up to (not including)
    ``effective_to``; None means not lifted yet.

    ``region_code`` is a GB/T 2260 code: ``420102`` is one county, ``420100`` (ending in 00) the
    whole city ``4201``, ``420000`` the whole province ``42``. ``name`` (added to the interface) is
    how residents read the area, e.g. ``湖北省武汉市``; the reason texts show it, or the code when
    it is empty.
    """

    region_code: str
    level: str
    effective_from: date
    effective_to: date | None
    name: str = ""

    def covers(self, region_code: str) -> bool:
        """Whether a visit to ``region_code`` is a visit to this area (the area contains it)."""
        return covers(self.region_code, region_code)


def covers(area_code: str, region_code: str) -> bool:
    """Whether the area ``area_code`` contains the region ``region_code`` (both 6-digit codes).

    A county code covers itself; a city code (``xxxx00``) covers its counties and itself; a
    province code (``xx0000``) covers everything in the province. Codes that are not 6 digits
    cover nothing and are covered by nothing.
    """
    if not (_is_code(area_code) and _is_code(region_code)):
        return False
    if area_code.endswith("0000"):
        return region_code[:2] == area_code[:2]
    if area_code.endswith("00"):
        return region_code[:4] == area_code[:4]
    return region_code == area_code


def _is_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit() and code[:2] != "00"


@dataclass(frozen=True)
class TestResult:
    """A nucleic acid test, by the time the sample was taken."""

    __test__ = False  # not a pytest test class, despite the name

    taken_at: datetime
    positive: bool

    def __post_init__(self) -> None:
        _require_aware("TestResult", "taken_at", self.taken_at)


@dataclass(frozen=True)
class Recode:
    """An approved manual recode (four-eyes, decided elsewhere): in force from ``effective_at``
    up to (not including) ``until``, or until another recode replaces it when ``until`` is None.

    When several recodes are in force, the one with the latest ``effective_at`` decides: recoding
    a person again replaces the earlier recode, so an official can undo one.
    """

    colour: Colour
    reason_code: str
    effective_at: datetime
    until: datetime | None
    note: str = ""
    """What the authority wrote for the resident (may be empty); never the internal evidence."""
    reason: Mapping[str, str] = field(default_factory=dict)
    """The listed reason in words, by language (``{reason}`` in rule texts); the code when empty."""

    def __post_init__(self) -> None:
        _require_aware("Recode", "effective_at", self.effective_at)
        _require_aware("Recode", "until", self.until)


@dataclass(frozen=True)
class FeverReading:
    """A body temperature (°C) taken at a checkpoint."""

    taken_at: datetime
    temperature: float

    def __post_init__(self) -> None:
        _require_aware("FeverReading", "taken_at", self.taken_at)


@dataclass(frozen=True)
class Facts:
    """Everything known about one person, as of the evaluation.

    ``risk_areas`` holds every known area, current or lifted: the engine decides which apply, by
    their dates and the declared travel. The defaults (added to the interface) make "nothing
    known" simply ``Facts()``.
    """

    declaration: Declaration | None = None
    lists: tuple[ListEntry, ...] = ()
    risk_areas: tuple[RiskArea, ...] = ()
    tests: tuple[TestResult, ...] = ()
    recodes: tuple[Recode, ...] = ()
    fever_readings: tuple[FeverReading, ...] = ()
