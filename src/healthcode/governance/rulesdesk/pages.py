"""The administrators' rule-set pages under ``/staff/admin/rules``: paste or upload a TOML rule
set, check it (its problems, the difference from the set in force), explain it on sample facts,
propose it; a second administrator approves it on the proposal's page and it is active.

The service (:mod:`.rules`) checks the role, the activation rules and the four-eyes rule; this
module shows its refusals beside the form. The problems of a rule set or of the facts are listed
in English under a translated heading, as ``healthcode rules`` prints them (they quote TOML).
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template

from healthcode.colours.rulesets import describe_rule
from healthcode.domain.colours import COLOUR_WORDS
from healthcode.domain.colours.facts_json import FactsReader
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.governance.rules import (
    APPROVED,
    MAX_FACTS,
    MAX_NOTE,
    MAX_SOURCE,
    PROPOSED,
    REFUSED,
    WITHDRAWN,
    FactsRefused,
    RuleSetAdmin,
    RuleSetRefused,
    explain,
    parse,
)
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.errors import STATUS, translated
from healthcode.kit.forms import FormData, text
from healthcode.sessions.service import Principal

RULES_PATH = "/staff/admin/rules"
FORM_OVERHEAD = 64 * 1024
# Browsers send each line break of a text area as two characters.
SOURCE_READ_LIMIT = 2 * MAX_SOURCE + 1
FACTS_READ_LIMIT = 2 * MAX_FACTS + 1

STATES = {
    PROPOSED: N_("Waiting for a second administrator"),
    APPROVED: N_("Approved and activated"),
    REFUSED: N_("Refused"),
    WITHDRAWN: N_("Withdrawn"),
}
NOTICES = {
    "proposed": N_("Proposed. Another administrator must approve it before it is active."),
    "approved": N_(
        "Approved: the rule set is active. Every approved card is recoloured by the background job within minutes."
    ),
    "refused": N_("Refused. The rule set in force is unchanged."),
    "withdrawn": N_("Withdrawn. The rule set in force is unchanged."),
    "already_decided": N_("This proposal had already been decided; nothing was changed."),
}
SAMPLE_FACTS = (
    '{"declaration": {"declared_at": "2026-03-01T10:00:00", "temperature": 38.2, "symptoms": ["fever"],\n'
    '  "travel_regions": [], "contact_with_case": false, "under_quarantine": false, "case_status": "none"}}'
)


def _common(language_context: dict[str, Any]) -> dict[str, Any]:
    return {"states": STATES, "colour_words": COLOUR_WORDS, "describe_rule": describe_rule, **language_context}


async def _rules_page(
    service: RuleSetAdmin,
    principal: Principal | None,
    *,
    values: dict[str, str] | None = None,
    notice: str = "",
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    draft: Any = None,
    explained: Any = None,
    status: int = 200,
) -> Template:
    ruleset, label, activated_at, activated_by = await service.in_force(principal)
    proposals = await service.proposals(principal)
    return Template(
        template_name="governance/rules.html",
        context=_common(
            {
                "in_force": ruleset,
                "in_force_label": label,
                "activated_at": activated_at,
                "activated_by": activated_by,
                "waiting": [p for p in proposals if p.proposal.state == PROPOSED],
                "decided": [p for p in proposals if p.proposal.state != PROPOSED],
                "values": {"facts": SAMPLE_FACTS, **(values or {})},
                "notice": NOTICES.get(notice),
                "errors": errors or {},
                "problems": problems or [],
                "draft": draft,
                "explained": explained,
                "max_source": MAX_SOURCE,
            }
        ),
        status_code=status,
    )


@get("/rules", name="admin_rules")
async def rules_page(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    return await _rules_page(RuleSetAdmin(db, settings, clock), staff_or_none, notice=done)


async def _source(data: dict[str, Any]) -> str:
    """The uploaded file's text if one was chosen, else the text area's."""
    chosen = data.get("file")
    if isinstance(chosen, list):
        chosen = chosen[0] if chosen else None
    if isinstance(chosen, UploadFile) and chosen.filename:
        content = await chosen.read(MAX_SOURCE * 4 + 1)
        await chosen.close()
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("ruleset_not_utf8", N_("The file is not UTF-8 text."), field="file") from None
    return text(data, "source", SOURCE_READ_LIMIT).replace("\r\n", "\n")


@post("/rules", request_max_body_size=SOURCE_READ_LIMIT * 4 + FACTS_READ_LIMIT + FORM_OVERHEAD)
async def rules_form(
    data: MultipartBody[dict[str, Any]],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """``action``: ``check`` the draft, ``explain`` the draft (or the set in force) on the facts,
    or ``propose`` it."""
    action = text(data, "action", 10)
    values = {"facts": text(data, "facts", FACTS_READ_LIMIT), "at": text(data, "at", 40)}
    service = RuleSetAdmin(db, settings, clock)
    try:
        values["source"] = source = await _source(data)
        if action == "propose":
            proposal = await service.propose(staff_or_none, source)
            return Redirect(f"{RULES_PATH}/proposals/{proposal.id}?done=proposed", status_code=303)
        if action == "explain":
            ruleset = parse(source) if source.strip() else (await service.in_force(staff_or_none))[0]
            decision, moment = explain(ruleset, values["facts"], values["at"], clock.now(), FactsReader(settings.zone))
            return await _rules_page(
                service,
                staff_or_none,
                values=values,
                explained={"ruleset": ruleset, "decision": decision, "at": moment},
            )
        draft = await service.check(staff_or_none, source)
        return await _rules_page(service, staff_or_none, values=values, draft=draft)
    except (InvalidInput, Conflict) as exc:
        await db.rollback()
        problems = exc.problems if isinstance(exc, RuleSetRefused | FactsRefused) else []
        return await _rules_page(
            service,
            staff_or_none,
            values=values,
            errors={exc.field or "_form": translated(exc)},
            problems=problems,
            status=STATUS[exc.kind],
        )


async def _proposal_page(
    service: RuleSetAdmin,
    principal: Principal | None,
    proposal_id: int,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    view, draft = await service.get(principal, proposal_id)
    me = principal.id if principal else None
    return Template(
        template_name="governance/proposal.html",
        context=_common(
            {
                "view": view,
                "proposal": view.proposal,
                "draft": draft,
                "waiting": view.proposal.state == PROPOSED,
                "mine": view.proposal.proposed_by == me,
                "notice": NOTICES.get(notice),
                "errors": errors or {},
                "problems": problems or [],
                "values": values or {},
                "note_max": MAX_NOTE,
            }
        ),
        status_code=status,
    )


@get("/rules/proposals/{proposal_id:int}", name="admin_rule_proposal")
async def proposal_page(
    proposal_id: RowId,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    done: FromQuery[str] = "",
) -> Template:
    return await _proposal_page(RuleSetAdmin(db, settings, clock), staff_or_none, proposal_id, notice=done)


@post("/rules/proposals/{proposal_id:int}/{decision:str}")
async def decide(
    proposal_id: RowId,
    decision: FromPath[str],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """``approve``, ``refuse`` (with a ``note``) or ``withdraw``."""
    service = RuleSetAdmin(db, settings, clock)
    note = text(data, "note", 2 * MAX_NOTE + 1)
    back = f"{RULES_PATH}/proposals/{proposal_id}"
    try:
        if decision == "approve":
            await service.approve(staff_or_none, proposal_id)
            done = "approved"
        elif decision == "refuse":
            await service.refuse(staff_or_none, proposal_id, note)
            done = "refused"
        elif decision == "withdraw":
            await service.withdraw(staff_or_none, proposal_id)
            done = "withdrawn"
        else:
            raise InvalidInput("ruleset_decision", N_("Choose to approve, refuse or withdraw."))
    except Conflict as exc:
        if exc.code == "ruleset_already_decided":
            return Redirect(f"{back}?done=already_decided", status_code=303)
        await db.rollback()
        return await _proposal_page(
            service, staff_or_none, proposal_id, errors={"decision": translated(exc)}, status=409
        )
    except (InvalidInput, Forbidden) as exc:
        if isinstance(exc, Forbidden) and exc.code not in ("four_eyes_required", "ruleset_not_yours"):
            raise
        await db.rollback()
        problems = exc.problems if isinstance(exc, RuleSetRefused) else []
        field = "note" if exc.field == "note" else "decision"
        return await _proposal_page(
            service,
            staff_or_none,
            proposal_id,
            errors={field: translated(exc)},
            problems=problems,
            values={"note": note},
            status=STATUS[exc.kind],
        )
    return Redirect(f"{back}?done={done}", status_code=303)


HANDLERS = [rules_page, rules_form, proposal_page, decide]
