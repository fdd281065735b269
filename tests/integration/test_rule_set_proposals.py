"""Rule sets activated by two administrators (SPEC §5, issue 11): one proposes, another approves,
with the CLI's activation rules checked at both steps, and every step in the audit log."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.config import Settings
from healthcode.db.models import AuditRecord, Card, RuleSetProposal, RuleSetRecord
from healthcode.domain.clock import FixedClock
from healthcode.domain.colours.facts_json import FactsReader
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput
from healthcode.governance.rules import FactsRefused, RuleSetAdmin, RuleSetRefused, explain, parse
from healthcode.staff.service import NewStaff
from tests import factories

DEFAULT = (
    Path(__file__).resolve().parents[2] / "src" / "healthcode" / "domain" / "colours" / "rulesets" / "default.toml"
).read_text(encoding="utf-8")
MILDER_CONTACT = (
    'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "red"',
    'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "yellow"',
)


def version(number: str, *replacements: tuple[str, str]) -> str:
    """The packaged default under another version, with some text replaced."""
    source = DEFAULT.replace('version = "2026.1"', f'version = "{number}"')
    for old, new in replacements:
        assert old in source
        source = source.replace(old, new)
    return source


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> RuleSetAdmin:
    return RuleSetAdmin(db, settings, clock)


async def admin(db: AsyncSession, settings: Settings, clock: FixedClock, username: str) -> NewStaff:
    return await factories.staff(db, settings, clock, roles=["admin"], username=username, display_name=username)


async def actions(db: AsyncSession) -> list[tuple[str, str, str]]:
    rows = await db.execute(
        select(AuditRecord.actor, AuditRecord.action, AuditRecord.subject).order_by(AuditRecord.seq)
    )
    return [tuple(row) for row in rows.all() if row[1].startswith("rules.")]  # type: ignore[misc]


async def test_a_second_administrator_approves_and_the_set_is_active(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    proposer = factories.staff_principal(await admin(db, settings, clock, "zhao"))
    approver = factories.staff_principal(await admin(db, settings, clock, "qian"))
    draft = await service.check(proposer, version("2026.2", MILDER_CONTACT))
    assert draft.problems == []
    assert draft.in_force_label == "default 2026.1"
    assert any(line.startswith("-list.close_contact: red") for line in draft.diff)
    assert any(line.startswith("+list.close_contact: yellow") for line in draft.diff)

    proposal_id = (await service.propose(proposer, draft.source)).id
    assert await db.scalar(select(RuleSetRecord.version).where(RuleSetRecord.active)) is None, "nothing active yet"

    with pytest.raises(Forbidden) as own:
        await service.approve(proposer, proposal_id)
    assert own.value.code == "four_eyes_required"
    await db.rollback()

    approved, _due = await service.approve(approver, proposal_id)

    assert approved.state == "approved"
    active = await db.scalar(select(RuleSetRecord).where(RuleSetRecord.active))
    assert active is not None
    assert (active.version, active.activated_by) == ("2026.2", f"staff:{approver.id}")
    assert await actions(db) == [
        (f"staff:{proposer.id}", "rules.propose", "ruleset:2026.2"),
        (f"staff:{approver.id}", "rules.activate", "ruleset:2026.2"),
        (f"staff:{approver.id}", "rules.approve", "ruleset:2026.2"),
    ]
    with pytest.raises(Conflict):
        await service.refuse(approver, proposal_id, "too late")


@pytest.mark.settings(realname_delay_s=0)
async def test_approval_makes_every_approved_card_due_for_recolouring(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    holder = await factories.resident(db, clock)
    number = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
    view = await factories.card_application(db, settings, clock, holder.id, document_type="resident_id", number=number)
    assert view.status == "approved"
    proposer = factories.staff_principal(await admin(db, settings, clock, "zhao"))
    approver = factories.staff_principal(await admin(db, settings, clock, "qian"))
    proposal = await service.propose(proposer, version("2026.2"))
    clock.advance(seconds=60)

    _approved, due = await service.approve(approver, proposal.id)

    assert due == 1
    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    assert card.recheck_at == clock.now()


async def test_the_cli_rules_refuse_a_proposal(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    proposer = factories.staff_principal(await admin(db, settings, clock, "zhao"))
    changed_meaning = version(
        "2026.2",
        (
            'id = "declared.contact"\nwhen = { declared_contact = {} }',
            'id = "declared.contact"\nwhen = { declared_quarantine = {} }',
        ),
    )
    with pytest.raises(RuleSetRefused) as meaning:
        await service.propose(proposer, changed_meaning)
    assert meaning.value.problems == [
        "rule 'declared.contact': the packaged default 2026.1 used this id for declared_contact, not "
        "declared_quarantine; a rule with another meaning needs a new id (rule ids are append-only)"
    ]
    with pytest.raises(RuleSetRefused) as default:
        await service.propose(
            proposer, version("2026.1", ("at_least = 37.3 } }\ncolour", "at_least = 37.5 } }\ncolour"))
        )
    assert "is the packaged default's" in default.value.problems[0]
    with pytest.raises(RuleSetRefused) as broken:
        await service.propose(proposer, 'version = "x"\nname = "y"\n[[rule]]\nid = "Bad Id"\n')
    assert broken.value.code == "ruleset_invalid"
    assert len(broken.value.problems) >= 2
    with pytest.raises(InvalidInput) as empty:
        await service.propose(proposer, "   ")
    assert empty.value.code == "ruleset_missing"
    assert await db.scalar(select(RuleSetProposal.id)) is None
    assert await actions(db) == []


async def test_one_waiting_proposal_per_version_and_only_the_proposer_withdraws(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    zhao = factories.staff_principal(await admin(db, settings, clock, "zhao"))
    qian = factories.staff_principal(await admin(db, settings, clock, "qian"))
    proposal_id = (await service.propose(zhao, version("2026.2"))).id
    with pytest.raises(InvalidInput) as twice:
        await service.propose(qian, version("2026.2"))
    assert twice.value.code == "ruleset_proposed_already"
    with pytest.raises(Forbidden):
        await service.withdraw(qian, proposal_id)
    await db.rollback()
    with pytest.raises(InvalidInput):
        await service.refuse(qian, proposal_id, "  ")
    await db.rollback()

    await service.withdraw(zhao, proposal_id)

    views = await service.proposals(zhao)
    assert [(v.proposal.state, v.proposer, v.decider) for v in views] == [("withdrawn", "zhao", "zhao")]


async def test_a_set_activated_since_the_proposal_is_checked_again_at_approval(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    zhao = factories.staff_principal(await admin(db, settings, clock, "zhao"))
    qian = factories.staff_principal(await admin(db, settings, clock, "qian"))
    first = await service.propose(zhao, version("2026.2"))
    second = await service.propose(zhao, version("2026.2b").replace("2026.2b", "2026.3"))
    await service.approve(qian, first.id)
    # the same version by another route (the CLI) before the approval
    source = (await db.get(RuleSetProposal, second.id)).source  # type: ignore[union-attr]
    db.add(
        RuleSetRecord(
            version="2026.3", name="x", source=source, activated_at=clock.now(), activated_by="cli", active=False
        )
    )
    await db.commit()

    with pytest.raises(RuleSetRefused) as refused:
        await service.approve(qian, second.id)

    assert "version 2026.3 is already stored" in refused.value.problems[0]


async def test_non_administrators_are_refused(
    service: RuleSetAdmin, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    reviewer = factories.staff_principal(await factories.staff(db, settings, clock, roles=["reviewer", "authority"]))
    with pytest.raises(Forbidden) as refused:
        await service.check(reviewer, DEFAULT)
    assert refused.value.code == "staff_role_missing"


def test_explain_on_sample_facts(settings: Settings, clock: FixedClock) -> None:
    declaration = {
        "declared_at": "2026-03-01T10:00:00",
        "temperature": 38.2,
        "symptoms": ["fever"],
        "travel_regions": [],
        "contact_with_case": False,
        "under_quarantine": False,
        "case_status": "none",
    }
    facts = json.dumps({"declaration": declaration})
    decision, at = explain(parse(DEFAULT), facts, "2026-03-02T09:00", clock.now(), FactsReader(settings.zone))
    assert decision.colour.value == "yellow"
    assert at.astimezone(settings.zone).hour == 9
    with pytest.raises(FactsRefused) as bad:
        explain(parse(DEFAULT), '{"lists": [{"kind": "alien"}]}', "", clock.now(), FactsReader(settings.zone))
    assert bad.value.problems
    with pytest.raises(FactsRefused) as not_json:
        explain(parse(DEFAULT), "{", "", clock.now(), FactsReader(settings.zone))
    assert "not valid JSON" in not_json.value.problems[0]
