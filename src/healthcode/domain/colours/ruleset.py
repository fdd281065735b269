"""Rule sets: the colour rules as versioned data (SPEC §5), written in TOML.

A rule set is a version, a name and a list of rules. Each rule names one predicate of the fixed
vocabulary (:mod:`.vocabulary`) with its parameters, the colour it gives, for how many days, where
its facts come from, and what a resident reads: why the code has this colour (``reason``) and
what turns it green (``green_when``), each in Chinese (``zh_CN``) and English (``en``) at least::

    version = "2026.1"
    name = "Default rules"

    [[rule]]
    id = "travel.high"                          # stable; stored with every decision
    when = { travelled = { level = "high" } }   # exactly one predicate, with its parameters
    colour = "red"                              # red or yellow (none for `recoded`)
    days = 14                                   # optional: lifts 14 days from the anchor day
    source = "risk_area"                        # must be the predicate's source
    reason = { zh_CN = "您在14天内到访过高风险地区（{region}）。", en = "..." }
    green_when = { zh_CN = "{green_on}起自动转为绿码。", en = "..." }

Texts may use the placeholders their predicate offers (see :mod:`.vocabulary`); write ``{{`` and
``}}`` for literal braces. Other languages may be added beside ``zh_CN`` and ``en``.

:func:`load_ruleset` checks everything before anything is used and raises :class:`RuleSetError`
with every problem found, each naming the rule and key at fault, so an administrator can fix a
draft in one pass.

APPEND ONLY. A rule's ``id`` is stored with every decision and audit entry that cites it: once a
rule set naming it has been used, an id keeps its meaning for good. Change a rule's colour, days
or texts under the same id in a new rule set version; give a rule with a different meaning a new
id, and never reuse a retired one. Predicate names and parameters are append-only too (see
:mod:`.vocabulary`); keys may be added to this format, never renamed or given a new meaning.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from types import MappingProxyType

from healthcode.domain.colours.colour import Colour
from healthcode.domain.colours.vocabulary import SOURCES, Predicate, parse_when

REQUIRED_LANGUAGES = ("zh_CN", "en")
RULE_KEYS = frozenset({"id", "when", "colour", "days", "source", "reason", "green_when"})
TOP_KEYS = frozenset({"version", "name", "rule"})
_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


class RuleSetError(ValueError):
    """A rule set that cannot be used; ``problems`` lists every fault, each naming where it is.

    The messages are for the administrator who edits rule sets, in English; residents never see
    them.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        listed = "\n".join(f"- {problem}" for problem in problems)
        super().__init__(f"the rule set has {len(problems)} problem(s):\n{listed}")


@dataclass(frozen=True)
class Rule:
    """One rule: when ``when`` holds, the code is at least ``colour`` (None for ``recoded``,
    whose recode brings its colour), for ``days`` from the predicate's anchor day when given."""

    id: str
    when: Predicate
    colour: Colour | None
    days: int | None
    source: str
    reason: Mapping[str, str]
    green_when: Mapping[str, str]


@dataclass(frozen=True)
class RuleSet:
    """A named, versioned list of rules; their order is the order of reasons of the same colour."""

    version: str
    name: str
    rules: tuple[Rule, ...]


@lru_cache(maxsize=8)
def load_ruleset(text: str) -> RuleSet:
    """Parse and check a rule set written in TOML; raise :class:`RuleSetError` listing every
    problem found. Remembered by text (a rule set is immutable): the active set is read from the
    database for every recolouring, and parsing it costs about 2 ms."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError([f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    for key in ("version", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(f"{key}: required, a non-empty string")
    for key in sorted(set(data) - TOP_KEYS):
        problems.append(f"{key}: unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("rule: at least one [[rule]] table is required")
        raw_rules = []
    rules: list[Rule] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            problems.append(f"rule #{number}: must be a table")
            continue
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
            rule_id = None
        if rule_id is not None:
            where = f"rule {rule_id!r}"
            if rule_id in first_seen:
                problems.append(f"{where}: duplicate id (rules #{first_seen[rule_id]} and #{number})")
            first_seen.setdefault(rule_id, number)
        else:
            where = f"rule #{number}"
            problems.append(f"{where}: id must be lower-case words joined by '.' or '_', e.g. 'travel.high'")
        rule = _parse_rule(where, raw, problems)
        if rule is not None and rule_id is not None:
            rules.append(rule)
    if problems:
        raise RuleSetError(problems)
    return RuleSet(version=data["version"], name=data["name"], rules=tuple(rules))


def _parse_rule(where: str, raw: dict[str, object], problems: list[str]) -> Rule | None:
    before = len(problems)
    for key in sorted(set(raw) - RULE_KEYS):
        problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(RULE_KEYS))})")
    predicate = parse_when(f"{where}: when", raw.get("when"), problems)
    colour = _parse_colour(where, raw.get("colour"), predicate, problems)
    days = _parse_days(where, raw.get("days"), predicate, problems)
    source = raw.get("source")
    if source not in SOURCES:
        problems.append(f"{where}: source must be one of: {', '.join(SOURCES)}")
    elif predicate is not None and source != predicate.source:
        problems.append(f"{where}: source of {predicate.name} is {predicate.source!r}, not {source!r}")
    offered = set() if predicate is None else set(predicate.placeholders)
    if days is not None:
        offered.add("green_on")
    reason = _parse_texts(f"{where}: reason", raw.get("reason"), offered, predicate is not None, problems)
    green_when = _parse_texts(f"{where}: green_when", raw.get("green_when"), offered, predicate is not None, problems)
    if len(problems) > before or predicate is None:
        return None
    return Rule(str(raw.get("id")), predicate, colour, days, str(source), reason, green_when)


def _parse_colour(where: str, value: object, predicate: Predicate | None, problems: list[str]) -> Colour | None:
    if predicate is not None and predicate.name == "recoded":
        if value is not None:
            problems.append(f"{where}: colour must be left out for recoded (the recode decides it)")
        return None
    if value not in (Colour.RED.value, Colour.YELLOW.value):
        problems.append(f"{where}: colour must be 'red' or 'yellow', not {value!r}")
        return None
    return Colour(value)


def _parse_days(where: str, value: object, predicate: Predicate | None, problems: list[str]) -> int | None:
    policy = "optional" if predicate is None else predicate.days_policy
    if value is None:
        if policy == "required" and predicate is not None:
            problems.append(f"{where}: days is required for {predicate.name} (nothing else lifts it)")
        return None
    if policy == "forbidden" and predicate is not None:
        problems.append(f"{where}: days must be left out for {predicate.name} (the recode has its own end)")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(f"{where}: days must be a whole number of at least 1, not {value!r}")
        return None
    return value


def _parse_texts(
    where: str, value: object, offered: set[str], check_placeholders: bool, problems: list[str]
) -> Mapping[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where}: required, a table of texts with {' and '.join(REQUIRED_LANGUAGES)}")
        return MappingProxyType({})
    for language in REQUIRED_LANGUAGES:
        if language not in value:
            problems.append(f"{where}: the {language} text is missing")
    texts: dict[str, str] = {}
    for language, text in value.items():
        if not _LANGUAGE.fullmatch(language):
            problems.append(f"{where}: {language!r} is not a language code like zh_CN or en")
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{language}: must be a non-empty string")
        else:
            texts[language] = text
            if check_placeholders:
                _check_placeholders(f"{where}.{language}", text, offered, problems)
    return MappingProxyType(texts)


def _check_placeholders(where: str, text: str, offered: set[str], problems: list[str]) -> None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        problems.append(f"{where}: {exc} (write {{{{ and }}}} for literal braces)")
        return
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in offered:
            known = ", ".join("{" + name + "}" for name in sorted(offered)) or "none"
            problems.append(f"{where}: unknown placeholder {{{field}}} (this rule offers: {known})")
        elif spec or conversion:
            problems.append(f"{where}: placeholder {{{field}}} takes no format or conversion")


@cache
def default_ruleset() -> RuleSet:
    """The packaged default rule set (``rulesets/default.toml``): 2020 Hangzhou / Inner Mongolia."""
    text = files("healthcode.domain.colours").joinpath("rulesets/default.toml").read_text(encoding="utf-8")
    return load_ruleset(text)
