"""Which rule set is in force, and the checks and the record of making another one active.

One place for the rules of activation (SPEC §5, docs/rules.md), used by ``healthcode rules
activate`` (the operators' path) and by the administrators' four-eyes pages: a version is stored
once; the packaged default's version belongs to it; a rule id keeps its meaning forever (a rule
with another predicate needs a new id), and an id an earlier set retired should not come back.

The problems and warnings are English sentences for the administrator who edits rule sets, like
:class:`~healthcode.domain.colours.RuleSetError`'s: they name TOML ids and versions.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, update

from healthcode.audit.service import AuditedService
from healthcode.db.models import Card, RuleSetRecord
from healthcode.domain.colours import Rule, RuleSet, RuleSetError, default_ruleset, load_ruleset
from healthcode.domain.colours.vocabulary import Predicate

# Lengths of the RuleSetRecord columns.
VERSION_MAX, NAME_MAX, ACTOR_MAX = 40, 200, 40

# Predicate fields named otherwise in TOML (``any`` is a Python builtin).
_TOML_NAMES = {"symptoms": "any"}


def describe_when(when: Predicate) -> str:
    """A rule's ``when`` as written in TOML: ``on_list {kinds = ["confirmed"]}``."""
    params = []
    for field in dataclasses.fields(when):
        value = getattr(when, field.name)
        shown = json.dumps(sorted(value) if isinstance(value, frozenset) else value, ensure_ascii=False)
        params.append(f"{_TOML_NAMES.get(field.name, field.name)} = {shown}")
    return f"{when.name} {{{', '.join(params)}}}"


def describe_rule(rule: Rule) -> str:
    """One line per rule: ``travel.high: red for 14 days (source risk_area) when travelled {level = "high"}``."""
    colour = rule.colour.value if rule.colour else "the recode's colour"
    days = f" for {rule.days} days" if rule.days else ""
    return f"{rule.id}: {colour}{days} (source {rule.source}) when {describe_when(rule.when)}"


def rendering(ruleset: RuleSet) -> list[str]:
    """A rule set as lines that compare well: its version and name, then one line per rule with
    its reason and what turns it green in each language, in the order the rules are written."""
    lines = [f"version: {ruleset.version}", f"name: {ruleset.name}"]
    for rule in ruleset.rules:
        lines.append(describe_rule(rule))
        for language in sorted(rule.reason):
            lines.append(f"    reason [{language}]: {rule.reason[language]}")
        for language in sorted(rule.green_when):
            lines.append(f"    turns green [{language}]: {rule.green_when[language]}")
    return lines


def difference(before: RuleSet, after: RuleSet) -> list[str]:
    """A unified diff of two rule sets' :func:`rendering`, without the file header lines."""
    lines = difflib.unified_diff(rendering(before), rendering(after), lineterm="", n=2)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def used_before(records: list[RuleSetRecord]) -> list[tuple[str, RuleSet]]:
    """Every rule set that may have coloured a card, oldest first: the packaged default, then
    each stored version in the order it was activated."""
    used = [(f"the packaged default {default_ruleset().version}", default_ruleset())]
    for record in records:
        try:
            used.append((f"version {record.version}", load_ruleset(record.source)))
        except RuleSetError:  # pragma: no cover - stored sets were checked when activated
            continue
    return used


def meaning_changes(ruleset: RuleSet, used: list[tuple[str, RuleSet]]) -> list[str]:
    """Rule ids ``ruleset`` gives another predicate than an earlier rule set did (append-only ids)."""
    problems: dict[str, str] = {}
    for label, earlier in used:
        before = {rule.id: rule.when.name for rule in earlier.rules}
        for rule in ruleset.rules:
            if rule.id in before and before[rule.id] != rule.when.name and rule.id not in problems:
                problems[rule.id] = (
                    f"rule {rule.id!r}: {label} used this id for {before[rule.id]}, not {rule.when.name}; "
                    "a rule with another meaning needs a new id (rule ids are append-only)"
                )
    return list(problems.values())


def reused_ids(ruleset: RuleSet, used: list[tuple[str, RuleSet]]) -> list[str]:
    """Rule ids of ``ruleset`` that an earlier rule set had retired (dropped after using them)."""
    found: list[str] = []
    for rule in ruleset.rules:
        seen_in = [i for i, (_label, earlier) in enumerate(used) if any(r.id == rule.id for r in earlier.rules)]
        retired = [label for i, (label, earlier) in enumerate(used) if seen_in and i > seen_in[0] and i not in seen_in]
        if retired:
            found.append(f"rule {rule.id!r} was retired by {retired[0]}; an id is never reused for a new meaning")
    return found


def size_refusal(ruleset: RuleSet, who: str) -> str | None:
    """Why the version, the name or the actor does not fit the stored record, or None."""
    if len(ruleset.version) > VERSION_MAX or len(ruleset.name) > NAME_MAX or len(who) > ACTOR_MAX:
        return (
            f"version (at most {VERSION_MAX} characters), name (at most {NAME_MAX}) "
            f"or --actor (at most {ACTOR_MAX - 4}) is too long"
        )
    return None


def default_version_refusal(ruleset: RuleSet) -> str | None:
    """A rule set that takes the packaged default's version with other rules, or None."""
    default = default_ruleset()
    if ruleset.version == default.version and ruleset != default:
        return f"version {ruleset.version} is the packaged default's; give this rule set its own version"
    return None


@dataclass(frozen=True)
class ActivationCheck:
    """What the stored rule sets say about activating one: the stored record of its version (a
    refusal), the meaning changes (refusals) and the retired ids coming back (warnings)."""

    stored: RuleSetRecord | None
    problems: list[str]
    warnings: list[str]

    @property
    def allowed(self) -> bool:
        return self.stored is None and not self.problems


@dataclass(frozen=True)
class InForce:
    """The rule set colouring cards now: the active stored record, or None for the packaged default."""

    ruleset: RuleSet
    record: RuleSetRecord | None

    @property
    def label(self) -> str:
        return self.record.version if self.record else f"default {self.ruleset.version}"


class RuleSets(AuditedService):
    """The stored rule sets: which one is in force, whether another may be activated, activating it."""

    async def records(self) -> list[RuleSetRecord]:
        """Every stored version, in the order it was activated."""
        return list(await self.db.scalars(select(RuleSetRecord).order_by(RuleSetRecord.id)))

    async def in_force(self) -> InForce:
        record = await self.db.scalar(select(RuleSetRecord).where(RuleSetRecord.active.is_(True)))
        if record is None:
            return InForce(default_ruleset(), None)
        return InForce(load_ruleset(record.source), record)

    async def check(self, ruleset: RuleSet, records: list[RuleSetRecord] | None = None) -> ActivationCheck:
        """The stored-version, meaning and retired-id checks against ``records`` (default: all)."""
        records = await self.records() if records is None else records
        stored = next((r for r in records if r.version == ruleset.version), None)
        used = used_before(records)
        return ActivationCheck(stored, meaning_changes(ruleset, used), reused_ids(ruleset, used))

    async def activate(self, ruleset: RuleSet, text: str, who: str, **detail: object) -> str:
        """Make ``ruleset`` (checked by the caller) the only active one and record ``rules.activate``
        by ``who``; returns the version it replaced. The caller commits (a version stored meanwhile
        fails then, on the unique version)."""
        previous = (await self.in_force()).label
        await self.db.execute(update(RuleSetRecord).where(RuleSetRecord.active).values(active=False))
        self.db.add(
            RuleSetRecord(
                version=ruleset.version,
                name=ruleset.name,
                source=text,
                activated_at=self.clock.now(),
                activated_by=who,
                active=True,
            )
        )
        await self.db.flush()
        await self.audit.record(
            who,
            "rules.activate",
            f"ruleset:{ruleset.version}",
            version=ruleset.version,
            name=ruleset.name,
            previous=previous,
            rules=len(ruleset.rules),
            sha256=sha256_of(text),
            **detail,
        )
        return previous

    async def recolour_soon(self) -> int:
        """Make every approved card due for the background recolouring (``colours.recheck_due``),
        in one statement: a request does not recolour a city's cards itself. Returns how many."""
        result = await self.db.execute(
            update(Card).where(Card.status == "approved").values(recheck_at=self.clock.now())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
