"""What each predicate of the vocabulary finds in the facts, and for how long it holds.

A :class:`Match` is one fact that makes a rule hold, with the half-open period ``[starts_at,
ends_at)`` in which it does so. Matches do not depend on the moment of evaluation, so the engine
finds them once and asks :meth:`Match.holds` at as many moments as it needs.

Day counting: the anchor day (the local date of a declaration, test or reading, or a list entry's
``since``) is day 1, so a rule with ``days = 14`` anchored on 1 March holds through 14 March and
lifts at 00:00 local time on 15 March (``anchor + days``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from healthcode.domain.colours.facts import Declaration, Facts, Recode
from healthcode.domain.colours.ruleset import Rule
from healthcode.domain.colours.vocabulary import (
    CheckpointFever,
    DeclaredCase,
    DeclaredContact,
    DeclaredQuarantine,
    DeclaredSymptoms,
    DeclaredTemperature,
    OnList,
    PositiveTest,
    Travelled,
)

TRAVEL_WINDOW_DAYS = 14
"""A risk area counts if effective on any day from this many days before the declaration day up to
and including that day."""

Value = date | float | str | tuple[str, ...] | Mapping[str, str]


@dataclass(frozen=True)
class Match:
    """One fact that makes a rule hold from ``starts_at`` until ``ends_at`` (None: not by time).

    ``known_at`` is when the fact was recorded: a green recode sets aside only what was known when
    it took effect. ``values`` fill the rule's placeholders.
    """

    starts_at: datetime
    ends_at: datetime | None
    known_at: datetime
    values: Mapping[str, Value]

    def holds(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``zone``, as UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def find_matches(rule: Rule, facts: Facts, zone: ZoneInfo) -> list[Match]:
    """Every fact that makes ``rule`` hold at some time (``recoded`` is the engine's own concern)."""
    when, days, declaration = rule.when, rule.days, facts.declaration
    if isinstance(when, OnList):
        return [
            m
            for entry in facts.lists
            if entry.kind in when.kinds
            for m in _listed(entry.since, entry.until, days, zone)
        ]
    if isinstance(when, PositiveTest | CheckpointFever):
        return _measured(when, facts, days, zone)
    if declaration is None:
        return []
    if isinstance(when, Travelled):
        regions = _risk_regions(when.level, declaration, facts, zone)
        return [_declared(declaration, days, zone, region=regions)] if regions else []
    values = _declared_values(when, declaration)
    return [] if values is None else [_declared(declaration, days, zone, **values)]


def _listed(since: date, until: date | None, days: int | None, zone: ZoneInfo) -> list[Match]:
    starts = local_midnight(since, zone)
    if until is not None:
        ends: datetime | None = local_midnight(until, zone)
    elif days is not None:
        ends = local_midnight(since + timedelta(days=days), zone)
    else:
        ends = None
    if ends is not None and ends <= starts:
        return []
    return [Match(starts, ends, starts, {"since": since})]


def _measured(when: PositiveTest | CheckpointFever, facts: Facts, days: int | None, zone: ZoneInfo) -> list[Match]:
    found: list[tuple[datetime, dict[str, Value]]] = []
    if isinstance(when, PositiveTest):
        found = [(t.taken_at, {}) for t in facts.tests if t.positive]
    else:
        found = [
            (r.taken_at, {"temperature": float(r.temperature)})
            for r in facts.fever_readings
            if r.temperature >= when.at_least
        ]
    matches = []
    for taken_at, values in found:
        day = local_date(taken_at, zone)
        ends = None if days is None else local_midnight(day + timedelta(days=days), zone)
        matches.append(Match(taken_at, ends, taken_at, {"taken_on": day, **values}))
    return matches


def _declared_values(when: object, declaration: Declaration) -> dict[str, Value] | None:
    """The values a declaration predicate offers when it holds, None when it does not."""
    if isinstance(when, DeclaredCase):
        return {} if declaration.case_status in when.statuses else None
    if isinstance(when, DeclaredQuarantine):
        return {} if declaration.under_quarantine else None
    if isinstance(when, DeclaredContact):
        return {} if declaration.contact_with_case else None
    if isinstance(when, DeclaredSymptoms):
        return {} if declaration.symptoms & when.symptoms else None
    if isinstance(when, DeclaredTemperature):
        temperature = declaration.temperature
        return {"temperature": float(temperature)} if temperature is not None and temperature >= when.at_least else None
    raise TypeError(f"no matcher for {type(when).__name__}")  # pragma: no cover - the vocabulary is closed


def _declared(declaration: Declaration, days: int | None, zone: ZoneInfo, **values: Value) -> Match:
    day = local_date(declaration.declared_at, zone)
    ends = None if days is None else local_midnight(day + timedelta(days=days), zone)
    return Match(declaration.declared_at, ends, declaration.declared_at, {"declared_on": day, **values})


def _risk_regions(level: str, declaration: Declaration, facts: Facts, zone: ZoneInfo) -> tuple[str, ...]:
    """Names (or codes) of the areas of ``level`` that cover a declared region during the window."""
    last = local_date(declaration.declared_at, zone)
    first = last - timedelta(days=TRAVEL_WINDOW_DAYS)
    names: dict[str, None] = {}
    for region in declaration.travel_regions:
        for area in facts.risk_areas:
            in_window = area.effective_from <= last and (area.effective_to is None or area.effective_to > first)
            if area.level == level and in_window and area.covers(region):
                names[area.name or area.region_code] = None
    return tuple(names)


def recode_in_force(recodes: tuple[Recode, ...], at: datetime) -> Recode | None:
    """The recode that decides at ``at``: of those in force, the one that took effect last."""
    live = [r for r in recodes if r.effective_at <= at and (r.until is None or at < r.until)]
    return max(live, key=lambda r: r.effective_at, default=None)


def render(template: str, values: Mapping[str, Value], language: str) -> str:
    """Fill ``template``'s placeholders, writing dates and lists the way ``language`` reads them."""
    return template.format_map({name: _show(value, language) for name, value in values.items()}).strip()


def _show(value: Value, language: str) -> str:
    chinese = language.startswith("zh")
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日" if chinese else value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, tuple):
        return ("、" if chinese else ", ").join(value)
    if isinstance(value, Mapping):  # words in each language (a listed reason, for instance)
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value
