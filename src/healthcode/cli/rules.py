"""``healthcode rules``: check a colour rule set, explain it against sample facts, activate it.

The workflow of SPEC §5 ("rules are data"): ``validate`` a draft, ``explain`` what it decides for
sample facts, then ``activate`` it, which is audited (``rules.activate``) and recolours every
approved card. ``show`` says which version is in force. See docs/rules.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import CLOCK, console, errors, settings, with_db
from healthcode.colours.rulesets import (
    RuleSets,
    default_version_refusal,
    describe_rule,
    sha256_of,
    size_refusal,
)
from healthcode.colours.service import make_colour_service, reason_json
from healthcode.config import Settings
from healthcode.db.models import Card, RuleSetRecord
from healthcode.domain.colours import (
    Colour,
    Reason,
    RuleSet,
    RuleSetError,
    default_ruleset,
    evaluate,
    load_ruleset,
)
from healthcode.domain.colours.facts_json import FactsError, FactsReader, facts_from_json

BATCH = 1000
"""Cards recoloured (and committed) together after an activation."""

app = typer.Typer(help="Colour rule sets: validate, explain, activate, show.", no_args_is_help=True)


# --- reading and describing rule sets -----------------------------------------------------------


def _read_text(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.print(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _load(path: Path) -> tuple[RuleSet, str]:
    """The checked rule set in ``path`` and its text; else print every problem and exit 1."""
    text = _read_text(path)
    try:
        return load_ruleset(text), text
    except RuleSetError as exc:
        errors.print(f"{path}: {len(exc.problems)} problem(s); nothing was changed", markup=False, soft_wrap=True)
        for problem in exc.problems:
            errors.print(f"- {problem}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _print_summary(ruleset: RuleSet) -> None:
    console.print(f"version: {ruleset.version}", markup=False, soft_wrap=True)
    console.print(f"name: {ruleset.name}", markup=False, soft_wrap=True)
    console.print(f"{len(ruleset.rules)} rules:", markup=False, soft_wrap=True)
    for rule in ruleset.rules:
        console.print(f"- {describe_rule(rule)}", markup=False, soft_wrap=True)


@app.command("validate")
def validate(file: Path = typer.Argument(..., help="The rule set, TOML (see docs/rules.md); - for stdin")) -> None:
    """Check a rule set: print every problem (exit 1), or its version, name and rules (exit 0)."""
    ruleset, _text = _load(file)
    _print_summary(ruleset)
    console.print("valid", markup=False, soft_wrap=True)


# --- explain --------------------------------------------------------------------------------------


def _in_force() -> tuple[RuleSet, str]:
    """The active rule set in the database, else the packaged default, with where it came from."""

    async def work(db: AsyncSession, _config: Settings) -> str | None:
        return await db.scalar(select(RuleSetRecord.source).where(RuleSetRecord.active))

    source = with_db(work)
    if source is None:
        return default_ruleset(), "the packaged default: no rule set has been activated"
    return load_ruleset(source), "active in the database"


def _languages(texts: dict[str, str]) -> list[str]:
    first = [language for language in ("zh_CN", "en") if language in texts]
    return first + sorted(set(texts) - set(first))


def _print_reason(number: int, reason: Reason) -> None:
    console.print(
        f"{number}. {reason.colour.value} by rule {reason.rule_id} (source: {reason.source})",
        markup=False,
        soft_wrap=True,
    )
    for language in _languages(reason.text):
        console.print(f"   why [{language}]: {reason.text[language]}", markup=False, soft_wrap=True)
    for language in _languages(reason.green_when):
        console.print(f"   turns green [{language}]: {reason.green_when[language]}", markup=False, soft_wrap=True)
    lifts = reason.green_on.isoformat() if reason.green_on else "not by time: it needs an action"
    console.print(f"   lifts on: {lifts}", markup=False, soft_wrap=True)


FACTS_HELP = (
    "JSON file of facts (- for stdin): an object whose keys are all optional: "
    "declaration {declared_at, temperature, symptoms, travel_regions, contact_with_case, under_quarantine, "
    "case_status}; lists, a list of {kind, since, until}; risk_areas, of {region_code, level, effective_from, "
    "effective_to, name}; tests, of {taken_at, positive}; recodes, of {colour, reason_code, effective_at, until, "
    "note}; fever_readings, of {taken_at, temperature}. Moments are ISO 8601 (no offset: the region's local "
    "time), days YYYY-MM-DD. See docs/rules.md."
)


@app.command("explain")
def explain(
    facts_file: Path = typer.Option(..., "--facts", help=FACTS_HELP),
    rules_file: Path | None = typer.Option(
        None, "--rules", help="Rule set to try (TOML); default: the active one, else the packaged default"
    ),
    at: str = typer.Option("", "--at", help="ISO 8601 moment to evaluate at (no offset: local time); default now"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of text"),
) -> None:
    """Evaluate a rule set against one person's sample facts.

    Prints the colour, each reason in Chinese and English, what turns it green and when.

    It also says when the colour would next change by itself, counting days in HEALTHCODE_TIMEZONE.

    See --facts for the shape of the facts, docs/rules.md for an example.
    """
    config = settings()
    zone = config.zone
    reader = FactsReader(zone)
    moment = reader.moment("--at", at) if at else CLOCK.now()
    try:
        raw = json.loads(_read_text(facts_file))
        facts = facts_from_json(raw, zone)
    except json.JSONDecodeError as exc:
        reader.problems.append(f"{facts_file}: not valid JSON: {exc}")
    except FactsError as exc:
        reader.problems.extend(exc.problems)
    if reader.problems or moment is None:
        errors.print(f"{len(reader.problems)} problem(s) in the facts:", markup=False, soft_wrap=True)
        for problem in reader.problems:
            errors.print(f"- {problem}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    if rules_file is not None:
        ruleset, origin = _load(rules_file)[0], f"from {rules_file}"
    else:
        ruleset, origin = _in_force()
    decision = evaluate(ruleset, facts, moment, zone)
    if as_json:
        document = {
            "ruleset": {"version": ruleset.version, "name": ruleset.name, "origin": origin},
            "at": moment.isoformat(),
            "zone": config.timezone,
            "colour": decision.colour.value,
            "reasons": [reason_json(r) for r in decision.reasons],
            "green_on": decision.green_on.isoformat() if decision.green_on else None,
            "next_change_at": decision.next_change_at.isoformat() if decision.next_change_at else None,
            "cleared": [reason_json(r) for r in decision.cleared],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return
    console.print(f"rules: {ruleset.version} ({origin})", markup=False, soft_wrap=True)
    console.print(f"at: {moment.astimezone(zone):%Y-%m-%d %H:%M} {config.timezone}", markup=False, soft_wrap=True)
    console.print(f"colour: {decision.colour.value.upper()}", markup=False, soft_wrap=True)
    for number, reason in enumerate(decision.reasons, start=1):
        _print_reason(number, reason)
    if decision.colour is not Colour.GREEN:
        green = decision.green_on.isoformat() if decision.green_on else "not by time alone (a reason needs an action)"
        console.print(f"green on: {green}", markup=False, soft_wrap=True)
    change = decision.next_change_at
    console.print(
        f"next change: {f'{change.astimezone(zone):%Y-%m-%d %H:%M} {config.timezone}' if change else 'none by time'}",
        markup=False,
    )
    if decision.cleared:
        console.print("set aside by the green recode in force:", markup=False, soft_wrap=True)
        for number, reason in enumerate(decision.cleared, start=1):
            _print_reason(number, reason)


# --- activate and show ----------------------------------------------------------------------------


def _refuse(message: str) -> typer.Exit:
    errors.print(f"refused: {message}", markup=False, soft_wrap=True)
    return typer.Exit(1)


@app.command("activate")
def activate(
    file: Path = typer.Argument(..., help="The rule set, TOML (see docs/rules.md)"),
    actor: str = typer.Option("", "--actor", help="Who activates it, recorded in the audit log as cli:NAME"),
) -> None:
    """Validate a rule set, make it the only active one and recolour every approved card.

    The activation is recorded in the audit log as rules.activate; cards are recomputed in batches.

    A version already stored is refused: give every change a new version.
    """
    ruleset, text = _load(file)
    who = f"cli:{actor}" if actor else "cli"
    refusal = size_refusal(ruleset, who) or default_version_refusal(ruleset)
    if refusal:
        raise _refuse(refusal)

    async def work(db: AsyncSession, config: Settings) -> tuple[str, int, int]:
        rulesets = RuleSets(db, config, CLOCK)
        check = await rulesets.check(ruleset)
        if check.stored is not None:
            stored = check.stored
            when = f"{stored.activated_at.astimezone(config.zone):%Y-%m-%d %H:%M}"
            raise _refuse(
                f"version {ruleset.version} is already stored (activated {when} by {stored.activated_by}); "
                "give the rule set a new version"
            )
        if check.problems:
            errors.print(f"{file}: {len(check.problems)} problem(s); nothing was changed", markup=False, soft_wrap=True)
            for problem in check.problems:
                errors.print(f"- {problem}", markup=False, soft_wrap=True)
            raise typer.Exit(1)
        for warning in check.warnings:
            console.print(f"warning: {warning}", markup=False, soft_wrap=True)
        try:
            previous = await rulesets.activate(ruleset, text, who)
            await db.commit()
        except IntegrityError:
            await db.rollback()
            raise _refuse(f"version {ruleset.version} was stored meanwhile; give the rule set a new version") from None
        console.print(f"rule set {ruleset.version} is active (was {previous})", markup=False, soft_wrap=True)
        ids = list(await db.scalars(select(Card.id).where(Card.status == "approved").order_by(Card.id)))
        colours = make_colour_service(db, config, CLOCK)
        changed = 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("recolouring approved cards", total=len(ids))
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                changed += await colours.recompute(batch)
                await db.commit()
                bar.advance(task, len(batch))
        return previous, len(ids), changed

    _previous, total, changed = with_db(work)
    console.print(f"{total} approved cards recomputed, {changed} changed colour", markup=False, soft_wrap=True)


@app.command("show")
def show() -> None:
    """The rule set in force (its version, who activated it, its rules) and the stored versions."""

    async def work(db: AsyncSession, _config: Settings) -> list[RuleSetRecord]:
        return list(await db.scalars(select(RuleSetRecord).order_by(RuleSetRecord.id)))

    records = with_db(work)
    zone = settings().zone
    active = next((r for r in records if r.active), None)
    if active is None:
        console.print("no rule set has been activated: the packaged default is in force", markup=False, soft_wrap=True)
        _print_summary(default_ruleset())
    else:
        when = f"{active.activated_at.astimezone(zone):%Y-%m-%d %H:%M}"
        console.print(
            f"active: {active.version}, activated {when} by {active.activated_by}", markup=False, soft_wrap=True
        )
        console.print(f"sha256: {sha256_of(active.source)}", markup=False, soft_wrap=True)
        _print_summary(load_ruleset(active.source))
    if records:
        table = Table("version", "activated", "by", "active")
        for r in records:
            activated = f"{r.activated_at.astimezone(zone):%Y-%m-%d %H:%M}"
            table.add_row(r.version, activated, r.activated_by, "yes" if r.active else "")
        console.print(table)
