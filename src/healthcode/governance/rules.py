"""Rule sets on the administrators' pages: check a draft, explain it on sample facts, compare it
with the set in force, propose it, and activate it only when a second administrator approves.

The checks are :mod:`healthcode.colours.rulesets`' (the same as ``healthcode rules activate``),
run when the set is proposed and again when it is approved, since another set may have been
activated in between. Approval makes the set active at once and every approved card due for the
background recolouring (``colours.recheck_due``), as a request cannot recolour a city's cards.
Every step is audited: ``rules.propose``, ``rules.withdraw``, ``rules.refuse``, ``rules.approve``
and ``rules.activate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from healthcode.audit.service import AuditedService
from healthcode.colours.rulesets import (
    RuleSets,
    default_version_refusal,
    difference,
    sha256_of,
    size_refusal,
)
from healthcode.db.models import RuleSetProposal, StaffAccount
from healthcode.domain.colours import Decision, RuleSet, RuleSetError, evaluate, load_ruleset
from healthcode.domain.colours.facts_json import FactsError, FactsReader, facts_from_json
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.recodes import ensure_second_official
from healthcode.domain.roles import Role
from healthcode.domain.text import form_text
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

MAX_SOURCE = 200_000
"""Characters of TOML a rule set may have (the packaged default has about 12,000)."""
MAX_FACTS = 50_000
MAX_NOTE = 500
PROPOSED, APPROVED, REFUSED, WITHDRAWN = "proposed", "approved", "refused", "withdrawn"


class RuleSetRefused(InvalidInput):
    """A rule set that cannot be proposed or activated; ``problems`` are the English sentences the
    CLI prints too (they quote TOML ids and versions)."""

    def __init__(self, code: str, message: str, problems: list[str], *, field: str | None = "source"):
        super().__init__(code, message, field=field, n=len(problems))
        self.problems = problems


class FactsRefused(InvalidInput):
    """Sample facts that cannot be read; ``problems`` name each fault with its JSON path."""

    def __init__(self, problems: list[str]):
        super().__init__("facts_invalid", N_("The facts have {n} problem(s):"), field="facts", n=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class Draft:
    """A checked rule set as typed or uploaded, with what activating it would mean now."""

    ruleset: RuleSet
    source: str
    sha256: str
    in_force: RuleSet
    in_force_label: str
    diff: list[str]
    problems: list[str]
    warnings: list[str]


@dataclass(frozen=True)
class ProposalView:
    """A proposal with the names of who proposed and decided it."""

    proposal: RuleSetProposal
    proposer: str
    decider: str | None


def parse(source: str) -> RuleSet:
    """The rule set in ``source``, or :class:`RuleSetRefused` listing every problem."""
    if not source.strip():
        raise InvalidInput("ruleset_missing", N_("Paste a rule set or choose a TOML file."), field="source")
    if len(source) > MAX_SOURCE:
        raise InvalidInput(
            "ruleset_too_long", N_("A rule set has at most {n} characters."), field="source", n=MAX_SOURCE
        )
    try:
        return load_ruleset(source)
    except RuleSetError as exc:
        raise RuleSetRefused(
            "ruleset_invalid", N_("The rule set has {n} problem(s); nothing was changed."), exc.problems
        ) from None


def explain(
    ruleset: RuleSet, facts_text: str, at: str, now: datetime, reader: FactsReader
) -> tuple[Decision, datetime]:
    """Evaluate ``ruleset`` on sample facts (the JSON of ``healthcode rules explain --facts``) at
    ``at`` (ISO 8601, local time without an offset; empty for now)."""
    if len(facts_text) > MAX_FACTS:
        raise FactsRefused([f"at most {MAX_FACTS} characters"])
    moment = reader.moment("at", at) if at.strip() else now
    facts = None
    try:
        facts = facts_from_json(json.loads(facts_text or "{}"), reader.zone)
    except json.JSONDecodeError as exc:
        reader.problems.append(f"not valid JSON: {exc}")
    except FactsError as exc:
        reader.problems.extend(exc.problems)
    if reader.problems or moment is None or facts is None:
        raise FactsRefused(reader.problems)
    return evaluate(ruleset, facts, moment, reader.zone), moment


class RuleSetAdmin(AuditedService):
    """Rule sets for administrators (role ``admin``): checking, proposing, the second approval."""

    async def _admin(self, principal: Principal | None) -> StaffAccount:
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.ADMIN)

    async def in_force(self, principal: Principal | None) -> tuple[RuleSet, str, datetime | None, str | None]:
        """The set in force: the rule set, its version label, when and by whom it was activated."""
        await self._admin(principal)
        current = await RuleSets(self.db, self.settings, self.clock).in_force()
        record = current.record
        if record is None:
            return current.ruleset, current.label, None, None
        return current.ruleset, current.label, record.activated_at, record.activated_by

    async def check(self, principal: Principal | None, source: str) -> Draft:
        """Parse ``source`` and say what activating it would do: the difference from the set in
        force, the problems that would refuse it and the warnings."""
        await self._admin(principal)
        return await self._draft(source)

    async def _draft(self, source: str) -> Draft:
        ruleset = parse(source)
        rulesets = RuleSets(self.db, self.settings, self.clock)
        current = await rulesets.in_force()
        check = await rulesets.check(ruleset)
        problems = [p for p in (size_refusal(ruleset, "staff:0"), default_version_refusal(ruleset)) if p]
        if check.stored is not None:
            problems.append(f"version {ruleset.version} is already stored; give the rule set a new version")
        problems += check.problems
        return Draft(
            ruleset,
            source,
            sha256_of(source),
            current.ruleset,
            current.label,
            difference(current.ruleset, ruleset),
            problems,
            check.warnings,
        )

    async def propose(self, principal: Principal | None, source: str) -> RuleSetProposal:
        """Keep ``source`` as a proposal; refused if it could not be activated now, or if its
        version is proposed already."""
        admin = await self._admin(principal)
        draft = await self._draft(source)
        if draft.problems:
            raise RuleSetRefused(
                "ruleset_refused", N_("The rule set cannot be activated: {n} problem(s)."), draft.problems
            )
        waiting = await self.db.scalar(
            select(RuleSetProposal.id).where(
                RuleSetProposal.state == PROPOSED, RuleSetProposal.version == draft.ruleset.version
            )
        )
        if waiting is not None:
            raise InvalidInput(
                "ruleset_proposed_already",
                N_("Version {version} is proposed already and waits for a second administrator."),
                field="source",
                version=draft.ruleset.version,
            )
        proposal = RuleSetProposal(
            version=draft.ruleset.version,
            name=draft.ruleset.name,
            source=source,
            sha256=draft.sha256,
            proposed_by=admin.id,
            proposed_at=self.clock.now(),
            state=PROPOSED,
        )
        self.db.add(proposal)
        await self.db.flush()
        await self.audit.record(
            f"staff:{admin.id}",
            "rules.propose",
            f"ruleset:{proposal.version}",
            proposal=proposal.id,
            sha256=proposal.sha256,
            rules=len(draft.ruleset.rules),
            against=draft.in_force_label,
        )
        await self.db.commit()
        return proposal

    async def proposals(self, principal: Principal | None, limit: int = 20) -> list[ProposalView]:
        """Waiting proposals (oldest first), then the latest decided ones."""
        await self._admin(principal)
        waiting = await self.db.scalars(
            select(RuleSetProposal).where(RuleSetProposal.state == PROPOSED).order_by(RuleSetProposal.proposed_at)
        )
        decided = await self.db.scalars(
            select(RuleSetProposal)
            .where(RuleSetProposal.state != PROPOSED)
            .order_by(RuleSetProposal.id.desc())
            .limit(limit)
        )
        return await self._views([*waiting, *decided])

    async def get(self, principal: Principal | None, proposal_id: int) -> tuple[ProposalView, Draft]:
        """One proposal, with what approving it would do now."""
        await self._admin(principal)
        proposal = await self._get(proposal_id)
        return (await self._views([proposal]))[0], await self._draft(proposal.source)

    async def withdraw(self, principal: Principal | None, proposal_id: int) -> RuleSetProposal:
        """The proposer takes their proposal back."""
        admin = await self._admin(principal)
        proposal = await self._get(proposal_id)
        if proposal.proposed_by != admin.id:
            raise Forbidden("ruleset_not_yours", N_("Only the administrator who proposed a rule set can withdraw it."))
        await self._decide(proposal, admin, WITHDRAWN, None)
        await self.audit.record(
            f"staff:{admin.id}", "rules.withdraw", f"ruleset:{proposal.version}", proposal=proposal.id
        )
        await self.db.commit()
        return proposal

    async def refuse(self, principal: Principal | None, proposal_id: int, note: str) -> RuleSetProposal:
        """A second administrator refuses the proposal, saying why."""
        admin = await self._admin(principal)
        proposal = await self._get(proposal_id)
        ensure_second_official(admin.id, proposal.proposed_by)
        reason = form_text(note)
        if not 1 <= len(reason) <= MAX_NOTE:
            raise InvalidInput(
                "ruleset_refusal_reason",
                N_("Say in at most {n} characters why the rule set is refused."),
                field="note",
                n=MAX_NOTE,
            )
        await self._decide(proposal, admin, REFUSED, reason)
        await self.audit.record(
            f"staff:{admin.id}", "rules.refuse", f"ruleset:{proposal.version}", proposal=proposal.id
        )
        await self.db.commit()
        return proposal

    async def approve(self, principal: Principal | None, proposal_id: int) -> tuple[RuleSetProposal, int]:
        """A second administrator approves: the checks run again, the set becomes the active one
        and every approved card is made due for recolouring (returns how many)."""
        admin = await self._admin(principal)
        proposal = await self._get(proposal_id)
        ensure_second_official(admin.id, proposal.proposed_by)
        draft = await self._draft(proposal.source)
        if draft.problems:
            raise RuleSetRefused(
                "ruleset_refused", N_("The rule set cannot be activated: {n} problem(s)."), draft.problems, field=None
            )
        who = f"staff:{admin.id}"
        await self._decide(proposal, admin, APPROVED, None)
        rulesets = RuleSets(self.db, self.settings, self.clock)
        try:
            previous = await rulesets.activate(
                draft.ruleset, proposal.source, who, proposal=proposal.id, proposed_by=f"staff:{proposal.proposed_by}"
            )
        except IntegrityError:
            await self.db.rollback()
            raise Conflict(
                "ruleset_stored_meanwhile", N_("This version was activated meanwhile; nothing was changed.")
            ) from None
        due = await rulesets.recolour_soon()
        await self.audit.record(
            who,
            "rules.approve",
            f"ruleset:{proposal.version}",
            proposal=proposal.id,
            proposed_by=f"staff:{proposal.proposed_by}",
            previous=previous,
            cards_due=due,
        )
        await self.db.commit()
        return proposal, due

    async def _get(self, proposal_id: int) -> RuleSetProposal:
        proposal = await self.db.get(RuleSetProposal, proposal_id)
        if proposal is None:
            raise NotFound("ruleset_proposal_not_found", N_("There is no such rule set proposal."))
        return proposal

    async def _decide(self, proposal: RuleSetProposal, admin: StaffAccount, state: str, note: str | None) -> None:
        """Claim the waiting proposal for one decision; a second decision finds it taken."""
        claimed = await self.db.execute(
            update(RuleSetProposal)
            .where(RuleSetProposal.id == proposal.id, RuleSetProposal.state == PROPOSED)
            .values(state=state, decided_by=admin.id, decided_at=self.clock.now(), note=note)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("ruleset_already_decided", N_("This proposal has already been decided."))
        await self.db.refresh(proposal)

    async def _views(self, proposals: list[RuleSetProposal]) -> list[ProposalView]:
        ids = {p.proposed_by for p in proposals} | {p.decided_by for p in proposals if p.decided_by}
        names = dict(
            (
                await self.db.execute(
                    select(StaffAccount.id, StaffAccount.display_name).where(StaffAccount.id.in_(ids))
                )
            ).all()
        )
        return [
            ProposalView(p, names.get(p.proposed_by, "?"), names.get(p.decided_by) if p.decided_by else None)
            for p in proposals
        ]
