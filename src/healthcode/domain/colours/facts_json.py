"""Sample facts as JSON (``healthcode rules explain --facts FILE``): what an operator types to ask
a rule set what it would decide. Read strictly: every fault is collected with its path, so one run
names them all (:class:`FactsError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from healthcode.domain.colours import (
    CASE_STATUSES,
    LIST_KINDS,
    RISK_LEVELS,
    SYMPTOMS,
    Colour,
    Declaration,
    Facts,
    FeverReading,
    ListEntry,
    Recode,
    RiskArea,
    TestResult,
)


class FactsError(ValueError):
    """Sample facts that cannot be used; ``problems`` names every fault with its path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


_Parser = Callable[["FactsReader", str, Any], Any]
_REQUIRED = object()
# Fields of a declaration as the API takes it that the rules never look at.
_DECLARATION_IGNORED = frozenset({"address_region", "address_detail", "pledge"})


class FactsReader:
    """Reads the facts JSON, noting every problem instead of stopping at the first."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.problems: list[str] = []

    def record(
        self, where: str, value: Any, fields: dict[str, tuple[_Parser, Any]], ignored: frozenset[str] = frozenset()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problems.append(f"{where}: must be an object with {', '.join(fields)}")
            return None
        before = len(self.problems)
        for key in sorted(set(value) - set(fields) - ignored):
            self.problems.append(f"{where}: unknown field {key!r} (known: {', '.join(fields)})")
        out: dict[str, Any] = {}
        for name, (parse, default) in fields.items():
            if name in value:
                out[name] = parse(self, f"{where}.{name}", value[name])
            elif default is _REQUIRED:
                self.problems.append(f"{where}.{name}: required")
            else:
                out[name] = default
        return out if len(self.problems) == before else None

    def records(self, where: str, value: Any, fields: dict[str, tuple[_Parser, Any]]) -> Iterator[dict[str, Any]]:
        if not isinstance(value, list):
            self.problems.append(f"{where}: must be a list of objects with {', '.join(fields)}")
            return
        for number, item in enumerate(value):
            found = self.record(f"{where}[{number}]", item, fields)
            if found is not None:
                yield found

    def moment(self, where: str, value: Any, *, optional: bool = False) -> datetime | None:
        if value is None and optional:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            self.problems.append(f"{where}: must be an ISO 8601 date and time, e.g. 2026-03-01T10:00:00+08:00")
            return None
        if moment.utcoffset() is None:
            moment = moment.replace(tzinfo=self.zone)  # the region's wall clock
        return moment.astimezone(UTC)

    def day(self, where: str, value: Any, *, optional: bool = False) -> date | None:
        if value is None and optional:
            return None
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            self.problems.append(f"{where}: must be a date written YYYY-MM-DD")
        return day

    def number(self, where: str, value: Any, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{where}: must be a number (°C)")
            return None
        return float(value)

    def flag(self, where: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.problems.append(f"{where}: must be true or false")
            return False
        return value

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str):
            self.problems.append(f"{where}: must be a string")
            return ""
        return value

    def word(self, where: str, value: Any, known: frozenset[str]) -> str:
        if value not in known:
            self.problems.append(f"{where}: must be one of: {', '.join(sorted(known))}")
            return ""
        return str(value)

    def words(self, where: str, value: Any, known: frozenset[str]) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{where}: must be a list of: {', '.join(sorted(known))}")
            return frozenset()
        unknown = sorted(set(value) - known)
        if unknown:
            self.problems.append(f"{where}: unknown {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return frozenset(value)

    def regions(self, where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(_is_region(v) for v in value):
            self.problems.append(f'{where}: must be a list of 6-digit GB/T 2260 region codes, e.g. ["420100"]')
            return ()
        return tuple(value)

    def region(self, where: str, value: Any) -> str:
        if not _is_region(value):
            self.problems.append(f'{where}: must be a 6-digit GB/T 2260 region code, e.g. "420100"')
            return ""
        return str(value)


def _is_region(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


_R = FactsReader
_COLOURS = frozenset(c.value for c in Colour)
DECLARATION_FIELDS: dict[str, tuple[_Parser, Any]] = {
    "declared_at": (_R.moment, _REQUIRED),
    "temperature": (lambda r, w, v: r.number(w, v, optional=True), None),
    "symptoms": (lambda r, w, v: r.words(w, v, SYMPTOMS), frozenset()),
    "travel_regions": (_R.regions, ()),
    "contact_with_case": (_R.flag, False),
    "under_quarantine": (_R.flag, False),
    "case_status": (lambda r, w, v: r.word(w, v, CASE_STATUSES), "none"),
}
LIST_FIELDS: dict[str, tuple[_Parser, Any]] = {
    "kind": (lambda r, w, v: r.word(w, v, LIST_KINDS), _REQUIRED),
    "since": (_R.day, _REQUIRED),
    "until": (lambda r, w, v: r.day(w, v, optional=True), None),
}
AREA_FIELDS: dict[str, tuple[_Parser, Any]] = {
    "region_code": (_R.region, _REQUIRED),
    "level": (lambda r, w, v: r.word(w, v, RISK_LEVELS), _REQUIRED),
    "effective_from": (_R.day, _REQUIRED),
    "effective_to": (lambda r, w, v: r.day(w, v, optional=True), None),
    "name": (_R.text, ""),
}
TEST_FIELDS: dict[str, tuple[_Parser, Any]] = {"taken_at": (_R.moment, _REQUIRED), "positive": (_R.flag, _REQUIRED)}
RECODE_FIELDS: dict[str, tuple[_Parser, Any]] = {
    "colour": (lambda r, w, v: r.word(w, v, _COLOURS), _REQUIRED),
    "reason_code": (_R.text, _REQUIRED),
    "effective_at": (_R.moment, _REQUIRED),
    "until": (lambda r, w, v: r.moment(w, v, optional=True), None),
    "note": (_R.text, ""),
}
READING_FIELDS: dict[str, tuple[_Parser, Any]] = {
    "taken_at": (_R.moment, _REQUIRED),
    "temperature": (_R.number, _REQUIRED),
}
FACT_KEYS = ("declaration", "lists", "risk_areas", "tests", "recodes", "fever_readings")


def facts_from_json(data: Any, zone: ZoneInfo) -> Facts:
    """The engine's :class:`Facts` from the JSON of docs/rules.md; a moment without an offset is
    the region's local time. Raises :class:`FactsError` listing every problem."""
    reader = FactsReader(zone)
    if not isinstance(data, dict):
        raise FactsError([f"the facts must be a JSON object with any of: {', '.join(FACT_KEYS)}"])
    for key in sorted(set(data) - set(FACT_KEYS)):
        reader.problems.append(f"{key}: unknown key (known: {', '.join(FACT_KEYS)})")
    declaration = None
    if data.get("declaration") is not None:
        found = reader.record("declaration", data["declaration"], DECLARATION_FIELDS, _DECLARATION_IGNORED)
        declaration = None if found is None else Declaration(**found)
    facts = Facts(
        declaration=declaration,
        lists=tuple(ListEntry(**r) for r in reader.records("lists", data.get("lists", []), LIST_FIELDS)),
        risk_areas=tuple(RiskArea(**r) for r in reader.records("risk_areas", data.get("risk_areas", []), AREA_FIELDS)),
        tests=tuple(TestResult(**r) for r in reader.records("tests", data.get("tests", []), TEST_FIELDS)),
        recodes=tuple(
            Recode(**{**r, "colour": Colour(r["colour"])})
            for r in reader.records("recodes", data.get("recodes", []), RECODE_FIELDS)
        ),
        fever_readings=tuple(
            FeverReading(**r) for r in reader.records("fever_readings", data.get("fever_readings", []), READING_FIELDS)
        ),
    )
    if reader.problems:
        raise FactsError(reader.problems)
    return facts
