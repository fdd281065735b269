"""The fixed vocabulary of predicates a rule's ``when`` table may name (SPEC §5).

Rules are data, predicates are code: a rule set picks one predicate per rule and gives its
parameters; what each predicate means is defined here and in :mod:`.matching`.

============================  ==========  =====================================================
``when``                      source      holds when (anchor of ``days``)
============================  ==========  =====================================================
``on_list {kinds=[...]}``     list        an authority list of one of ``kinds`` names the person
                                          (anchor: ``since``; lifts on the entry's ``until``,
                                          else ``days`` after ``since``, else never by time)
``declared_case               declaration the latest declaration's ``case_status`` is one of
{statuses=[...]}``                        ``statuses`` (confirmed, suspected, asymptomatic)
``declared_quarantine {}``    declaration it says the resident is under quarantine or observation
``declared_contact {}``       declaration it says the resident had contact with a case
``declared_symptoms           declaration it declares any of the symptoms listed
{any=[...]}``
``declared_temperature        declaration its temperature is at least ``at_least`` °C
{at_least=37.3}``
``travelled {level=...}``     risk_area   a declared travel region is covered by a risk area of
                                          ``level`` (high or medium) effective on any day from 14
                                          days before the declaration day up to that day
``positive_test {}``          test        a test taken was positive (anchor: the day taken;
                                          ``days`` required)
``recoded                     recode      an approved recode is in force; it brings its own
{green_clears=[...]}``                    colour, note and end, so the rule has no ``colour``
                                          and no ``days``
``checkpoint_fever            checkpoint  a checkpoint reading was at least ``at_least`` °C
{at_least=37.3}``                         (anchor: the day taken; ``days`` required)
============================  ==========  =====================================================

Declaration predicates look only at the latest declaration, anchor ``days`` on its local date,
and otherwise last until the resident declares again (the correction of FAQ 13/14).

A green recode clears nothing unless its rule lists the sources it may clear in ``green_clears``
(any source but ``recode``); it then sets aside the reasons from those sources whose fact was
recorded no later than the recode took effect. Facts recorded afterwards count again.

Placeholders: each predicate offers the names in :attr:`Predicate.placeholders` to the ``reason``
and ``green_when`` texts, plus ``{green_on}`` (the local date the reason lifts) when the rule has
``days``. Dates are written ``2026年3月15日`` in Chinese texts and ``2026-03-15`` in others.

APPEND ONLY. Predicate names and their parameter names are stored in rule sets and, through rule
ids, in every stored decision. Never rename, remove or change the meaning of one: add a new
predicate (a new name) instead, and keep the old one working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from healthcode.domain.colours.facts import CASE_STATUSES, LIST_KINDS, RISK_LEVELS, SYMPTOMS

SOURCES = ("declaration", "list", "risk_area", "test", "recode", "checkpoint")
"""Where a reason comes from; stored with each reason: append only."""

TEMPERATURE_RANGE = (35.0, 42.0)


@dataclass(frozen=True)
class Predicate:
    """Base of the vocabulary: ``name`` as written in TOML, the ``source`` of its reasons, the
    placeholders its texts may use, and whether a rule must (or may not) give ``days``."""

    name: ClassVar[str]
    source: ClassVar[str]
    placeholders: ClassVar[frozenset[str]]
    days_policy: ClassVar[str] = "optional"  # "optional" | "required" | "forbidden"


@dataclass(frozen=True)
class OnList(Predicate):
    name = "on_list"
    source = "list"
    placeholders = frozenset({"since"})
    kinds: frozenset[str]


@dataclass(frozen=True)
class DeclaredCase(Predicate):
    name = "declared_case"
    source = "declaration"
    placeholders = frozenset({"declared_on"})
    statuses: frozenset[str]


@dataclass(frozen=True)
class DeclaredQuarantine(Predicate):
    name = "declared_quarantine"
    source = "declaration"
    placeholders = frozenset({"declared_on"})


@dataclass(frozen=True)
class DeclaredContact(Predicate):
    name = "declared_contact"
    source = "declaration"
    placeholders = frozenset({"declared_on"})


@dataclass(frozen=True)
class DeclaredSymptoms(Predicate):
    """``any`` in TOML; ``symptoms`` here (``any`` is a builtin)."""

    name = "declared_symptoms"
    source = "declaration"
    placeholders = frozenset({"declared_on"})
    symptoms: frozenset[str]


@dataclass(frozen=True)
class DeclaredTemperature(Predicate):
    name = "declared_temperature"
    source = "declaration"
    placeholders = frozenset({"declared_on", "temperature"})
    at_least: float


@dataclass(frozen=True)
class Travelled(Predicate):
    name = "travelled"
    source = "risk_area"
    placeholders = frozenset({"declared_on", "region"})
    level: str


@dataclass(frozen=True)
class PositiveTest(Predicate):
    name = "positive_test"
    source = "test"
    placeholders = frozenset({"taken_on"})
    days_policy = "required"  # nothing else lifts it


@dataclass(frozen=True)
class Recoded(Predicate):
    name = "recoded"
    source = "recode"
    placeholders = frozenset({"reason", "note", "reason_code"})
    days_policy = "forbidden"  # the recode carries its own end
    green_clears: frozenset[str]


@dataclass(frozen=True)
class CheckpointFever(Predicate):
    name = "checkpoint_fever"
    source = "checkpoint"
    placeholders = frozenset({"taken_on", "temperature"})
    days_policy = "required"  # nothing else lifts it
    at_least: float


class _Params:
    """Reads one ``when`` table's parameters, noting every problem instead of stopping."""

    def __init__(self, where: str, params: Mapping[str, object], problems: list[str]):
        self.where, self.params, self.problems = where, params, problems
        self.seen: set[str] = set()

    def words(self, key: str, known: frozenset[str], *, required: bool = True) -> frozenset[str]:
        self.seen.add(key)
        value = self.params.get(key)
        if value is None and not required:
            return frozenset()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (required and not value):
            self.problems.append(f"{self.where}: {key} must be a non-empty list of: {', '.join(sorted(known))}")
            return frozenset()
        unknown = sorted(set(value) - known)
        if unknown:
            self.problems.append(
                f"{self.where}: {key} has unknown {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        return frozenset(value) & known

    def word(self, key: str, known: frozenset[str]) -> str:
        self.seen.add(key)
        value = self.params.get(key)
        if value not in known:
            self.problems.append(f"{self.where}: {key} must be one of: {', '.join(sorted(known))}")
            return ""
        return str(value)

    def temperature(self, key: str) -> float:
        self.seen.add(key)
        value = self.params.get(key)
        low, high = TEMPERATURE_RANGE
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            self.problems.append(f"{self.where}: {key} must be a temperature in °C from {low} to {high}")
            return high
        return float(value)

    def finish(self) -> None:
        extra = sorted(set(self.params) - self.seen)
        if extra:
            self.problems.append(f"{self.where}: unknown parameter {', '.join(extra)}")


_CASES = CASE_STATUSES - {"none"}
_CLEARABLE = frozenset(SOURCES) - {"recode"}

_PARSERS: dict[str, Callable[[_Params], Predicate]] = {
    "on_list": lambda p: OnList(p.words("kinds", LIST_KINDS)),
    "declared_case": lambda p: DeclaredCase(p.words("statuses", _CASES)),
    "declared_quarantine": lambda p: DeclaredQuarantine(),
    "declared_contact": lambda p: DeclaredContact(),
    "declared_symptoms": lambda p: DeclaredSymptoms(p.words("any", SYMPTOMS)),
    "declared_temperature": lambda p: DeclaredTemperature(p.temperature("at_least")),
    "travelled": lambda p: Travelled(p.word("level", RISK_LEVELS)),
    "positive_test": lambda p: PositiveTest(),
    "recoded": lambda p: Recoded(p.words("green_clears", _CLEARABLE, required=False)),
    "checkpoint_fever": lambda p: CheckpointFever(p.temperature("at_least")),
}

PREDICATE_NAMES = tuple(_PARSERS)


def parse_when(where: str, when: object, problems: list[str]) -> Predicate | None:
    """The predicate a ``when`` table names, or None after noting each problem in ``problems``.

    ``where`` names the rule in the messages (``rule 'travel.high': when``).
    """
    if not isinstance(when, dict) or len(when) != 1:
        problems.append(f"{where}: must name exactly one predicate, e.g. when = {{ travelled = {{ level = 'high' }} }}")
        return None
    ((name, params),) = when.items()
    parser = _PARSERS.get(name)
    if parser is None:
        problems.append(f"{where}: unknown predicate {name!r} (known: {', '.join(PREDICATE_NAMES)})")
        return None
    if not isinstance(params, dict):
        problems.append(f"{where}.{name}: parameters must be a table, e.g. {name} = {{}}")
        return None
    reader = _Params(f"{where}.{name}", params, problems)
    predicate = parser(reader)
    reader.finish()
    return predicate
