"""The colour engine (SPEC §5): a rule set and one person's facts in, a colour with reasons out.

:func:`evaluate` is pure: it never reads the clock (``now`` is a parameter) and never looks past
the facts it is given. Every rule whose predicate holds at ``now`` gives one :class:`Reason`; the
code takes the most severe colour among them, green when there are none.

Time, precisely:

- A fact applies from the moment it was recorded (a declaration, test or reading) or from 00:00 on
  its start day (a list entry, a risk area); facts dated after ``now`` do not count yet.
- Days are counted in ``zone``, with the anchor day as day 1 (inclusive): ``days = 14`` anchored
  on 2026-03-01 holds through 2026-03-14 and lifts at 00:00 local time on 2026-03-15, which is the
  reason's ``green_on``. Day 14 is still red; day 15 is green.
- ``next_change_at`` is the earliest moment after ``now`` at which, with the same facts, the
  colour or the reasons shown would differ: a reason lifting, a list entry or recode starting or
  ending, a risk area's window opening or closing. A scheduler re-evaluates then; new facts (a
  declaration, an imported list) trigger their own evaluation.

Recodes: the recode in force (the latest that took effect, see :class:`~.facts.Recode`) counts
through the rule set's ``recoded`` rule. A red or yellow recode adds its reason and never lowers
the colour. A green recode gives no reason; it sets aside the reasons from the sources its rule
lists in ``green_clears`` whose facts were recorded no later than the recode took effect (they are
kept in :attr:`Decision.cleared`). The default rule set lets it clear what the resident's own
answers and checkpoint readings caused, never an authority list or a positive test: those are
corrected at their source, so a quiet green recode cannot hide a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from healthcode.domain.colours.colour import Colour
from healthcode.domain.colours.facts import Facts, Recode
from healthcode.domain.colours.matching import (
    Match,
    Value,
    find_matches,
    local_date,
    local_midnight,
    recode_in_force,
    render,
)
from healthcode.domain.colours.ruleset import Rule, RuleSet
from healthcode.domain.colours.vocabulary import Recoded


@dataclass(frozen=True)
class Reason:
    """Why the code has a colour, in words a resident reads (guide step 4), and what lifts it.

    ``green_on`` is the local date the reason stops applying when it lifts by time, None when it
    needs an action (the authority clearing the person, or a new declaration).
    """

    rule_id: str
    colour: Colour
    text: dict[str, str]
    source: str
    green_on: date | None
    green_when: dict[str, str]


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`evaluate`.

    ``reasons`` lists the reasons of the final colour first, then the lesser ones, in rule-set
    order within a colour; it is empty when the code is green. ``green_on`` is when everything
    lifts by itself (the latest of the reasons' dates), None if any reason needs an action or the
    code is green. ``cleared`` (added to the interface) holds the reasons a green recode in force
    has set aside, so the recode stays visible to those who explain a decision.
    """

    colour: Colour
    reasons: tuple[Reason, ...]
    green_on: date | None
    next_change_at: datetime | None
    cleared: tuple[Reason, ...] = ()


_Found = tuple[Rule, list[Match]]


def evaluate(ruleset: RuleSet, facts: Facts, now: datetime, zone: ZoneInfo) -> Decision:
    """Decide the colour at ``now`` (timezone-aware) from ``facts``, counting days in ``zone``."""
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    found: list[_Found] = [
        (rule, [] if isinstance(rule.when, Recoded) else find_matches(rule, facts, zone)) for rule in ruleset.rules
    ]
    reasons, cleared = _assess(found, facts.recodes, now, zone)
    next_change_at = None
    for moment in sorted(m for m in _moments(found, facts, zone) if m > now):
        if _assess(found, facts.recodes, moment, zone)[0] != reasons:
            next_change_at = moment
            break
    dates = [reason.green_on for reason in reasons]
    return Decision(
        colour=reasons[0].colour if reasons else Colour.GREEN,
        reasons=reasons,
        green_on=max(d for d in dates if d is not None) if dates and None not in dates else None,
        next_change_at=next_change_at,
        cleared=cleared,
    )


def _assess(
    found: list[_Found], recodes: tuple[Recode, ...], at: datetime, zone: ZoneInfo
) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    """The reasons that hold at ``at``, most severe first, and those a green recode set aside."""
    recoders = [rule.when for rule, _ in found if isinstance(rule.when, Recoded)]
    recode = recode_in_force(recodes, at) if recoders else None
    clears: frozenset[str] = frozenset()
    if recode is not None and recode.colour == Colour.GREEN:
        clears = frozenset().union(*(when.green_clears for when in recoders))
    reasons: list[Reason] = []
    cleared: list[Reason] = []
    for rule, matches in found:
        if isinstance(rule.when, Recoded):
            if recode is not None and recode.colour != Colour.GREEN:
                reasons.append(_recode_reason(rule, recode, zone))
            continue
        live = [m for m in matches if m.holds(at)]
        if recode is not None and rule.source in clears:
            set_aside = [m for m in live if m.known_at <= recode.effective_at]
            live = [m for m in live if m.known_at > recode.effective_at]
            if set_aside:
                cleared.append(_reason(rule, set_aside, zone))
        if live:
            reasons.append(_reason(rule, live, zone))
    reasons.sort(key=lambda reason: -reason.colour.rank)  # stable: rule-set order within a colour
    return tuple(reasons), tuple(cleared)


def _reason(rule: Rule, matches: list[Match], zone: ZoneInfo) -> Reason:
    """One reason for a rule, worded from the match that lasts longest (then the latest)."""
    governing = max(matches, key=lambda m: (m.ends_at is None, m.ends_at or m.starts_at, m.starts_at))
    green_on = None if governing.ends_at is None else local_date(governing.ends_at, zone)
    values: dict[str, Value] = dict(governing.values)
    if green_on is not None:
        values["green_on"] = green_on
    if rule.colour is None:  # pragma: no cover - only `recoded` rules have none; they are handled apart
        raise TypeError(f"rule {rule.id!r} has no colour")
    return Reason(
        rule_id=rule.id,
        colour=rule.colour,
        text={language: render(text, values, language) for language, text in rule.reason.items()},
        source=rule.source,
        green_on=green_on,
        green_when={language: render(text, values, language) for language, text in rule.green_when.items()},
    )


def _recode_reason(rule: Rule, recode: Recode, zone: ZoneInfo) -> Reason:
    values: dict[str, Value] = {
        "note": recode.note,
        "reason_code": recode.reason_code,
        "reason": recode.reason or recode.reason_code,
    }
    return Reason(
        rule_id=rule.id,
        colour=Colour(recode.colour),
        text={language: render(text, values, language) for language, text in rule.reason.items()},
        source=rule.source,
        green_on=None if recode.until is None else local_date(recode.until, zone),
        green_when={language: render(text, values, language) for language, text in rule.green_when.items()},
    )


def _moments(found: list[_Found], facts: Facts, zone: ZoneInfo) -> set[datetime]:
    """Every moment at which a decision over these facts can change: between two of them the
    outcome is constant, so checking each in turn finds the next change exactly."""
    moments: set[datetime] = set()
    for _rule, matches in found:
        for match in matches:
            moments.add(match.starts_at)
            if match.ends_at is not None:
                moments.add(match.ends_at)
    for recode in facts.recodes:
        moments.add(recode.effective_at)
        if recode.until is not None:
            moments.add(recode.until)
    for area in facts.risk_areas:
        moments.add(local_midnight(area.effective_from, zone))
        if area.effective_to is not None:
            moments.add(local_midnight(area.effective_to, zone))
    return moments
