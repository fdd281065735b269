"""The administrators' pages for rule sets (two administrators), signing keys and trusted issuers.

The rules are the services' (tests/integration/test_rule_set_proposals.py, test_trusted_issuers.py);
these tests show them as administrators meet them on the pages, read in English.
"""

import json
import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import AuditRecord, RuleSetProposal, RuleSetRecord, SigningKeyRecord, TrustedListRecord
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import generate_signing_key
from healthcode.governance.rulesdesk.pages import SAMPLE_FACTS
from healthcode.staff.service import NewStaff
from tests import factories
from tests.integration.test_keys import OTHER_ISSUER, foreign_list
from tests.pages.test_recode_pages import field_error, sign_in_as

Client = AsyncTestClient[Litestar]
DEFAULT = (
    Path(__file__).resolve().parents[2] / "src" / "healthcode" / "domain" / "colours" / "rulesets" / "default.toml"
).read_text(encoding="utf-8")
MILDER = DEFAULT.replace('version = "2026.1"', 'version = "2026.2"').replace(
    'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "red"',
    'id = "list.close_contact"\nwhen = { on_list = { kinds = ["close_contact"] } }\ncolour = "yellow"',
)


async def new_admin(db: AsyncSession, settings: Settings, clock: FixedClock, username: str) -> NewStaff:
    return await factories.staff(db, settings, clock, roles=["admin"], username=username, display_name=username)


async def post_rules(client: Client, token: str, action: str, source: str = "", **fields: str) -> object:
    return await client.post(
        "/staff/admin/rules",
        data={"action": action, "source": source, "_csrf_token": token, **fields},
        files={"file": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


async def test_one_administrator_proposes_another_approves(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    proposer = await new_admin(db, settings, clock, "admin.zhao")
    approver = await new_admin(db, settings, clock, "admin.qian")
    token = await sign_in_as(client, proposer, clock)
    shell = await client.get("/staff")
    for path in ("/staff/admin/rules", "/staff/admin/keys", "/staff/admin/issuers"):
        assert f'href="{path}"' in shell.text

    checked = await post_rules(client, token, "check", MILDER)
    assert checked.status_code == 200  # type: ignore[attr-defined]
    html = checked.text  # type: ignore[attr-defined]
    assert "Valid: it can be proposed for activation." in html
    assert "<del>-list.close_contact: red" in html
    assert "<ins>+list.close_contact: yellow" in html
    assert "Difference from the rule set in force (default 2026.1)" in html

    explained = await post_rules(client, token, "explain", MILDER, facts=SAMPLE_FACTS, at="2026-03-02T09:00")
    assert 'id="explained-colour">Yellow code' in explained.text  # type: ignore[attr-defined]

    proposed = await post_rules(client, token, "propose", MILDER)
    assert proposed.status_code == 303  # type: ignore[attr-defined]
    location = proposed.headers["location"]  # type: ignore[attr-defined]
    page = await client.get(location)
    assert "Proposed. Another administrator must approve it before it is active." in page.text
    assert 'id="approve"' not in page.text, "the proposer is not offered the approval"
    proposal_id = int(re.findall(r"\d+", location)[0])
    own = await client.post(f"/staff/admin/rules/proposals/{proposal_id}/approve", data={"_csrf_token": token})
    assert own.status_code == 403
    assert "Another official must decide this" in field_error(own.text, "decision")
    assert await db.scalar(select(RuleSetRecord.version)) is None

    token = await sign_in_as(client, approver, clock)
    listed = await client.get("/staff/admin/rules")
    assert f'href="/staff/admin/rules/proposals/{proposal_id}"' in listed.text
    approved = await client.post(
        f"/staff/admin/rules/proposals/{proposal_id}/approve", data={"_csrf_token": token}, follow_redirects=False
    )
    assert approved.status_code == 303
    after = await client.get(approved.headers["location"])
    assert "Approved: the rule set is active." in after.text
    active = await db.scalar(select(RuleSetRecord).where(RuleSetRecord.active))
    assert active is not None
    assert (active.version, active.activated_by) == ("2026.2", f"staff:{approver.account.id}")
    assert "2026.2" in (await client.get("/staff/admin/rules")).text.split('id="in-force"')[1][:200]


async def test_an_invalid_rule_set_is_refused_beside_the_field_with_every_problem(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token = await sign_in_as(client, await new_admin(db, settings, clock, "admin.zhao"), clock)
    broken = 'version = "x"\nname = "y"\n[[rule]]\nid = "Bad Id"\ncolour = "purple"\n'

    response = await post_rules(client, token, "propose", broken)

    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "problem(s); nothing was changed." in field_error(html, "source")
    problems = re.search(r'id="source-problems">(.*?)</div>', html, re.S)
    assert problems
    assert "purple" in problems.group(1) or "colour" in problems.group(1)
    assert 'aria-invalid="true"' in html
    assert await db.scalar(select(RuleSetProposal.id)) is None

    not_toml = await post_rules(client, token, "check", "this is [not toml")
    assert "not valid TOML" in not_toml.text  # type: ignore[attr-defined]
    bad_facts = await post_rules(client, token, "explain", "", facts="{")
    assert bad_facts.status_code == 422  # type: ignore[attr-defined]
    assert "not valid JSON" in bad_facts.text  # type: ignore[attr-defined]


async def test_the_pages_need_an_administrator(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    for path in ("/staff/admin/rules", "/staff/admin/keys", "/staff/admin/issuers"):
        response = await client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/staff/login")

    token = await sign_in_as(client, await factories.staff(db, settings, clock, roles=["reviewer", "authority"]), clock)
    for path in ("/staff/admin/rules", "/staff/admin/keys", "/staff/admin/issuers"):
        page = await client.get(path)
        assert page.status_code == 403
        assert "This page needs the role: Administrator." in page.text
    assert (await post_rules(client, token, "propose", MILDER)).status_code == 403  # type: ignore[attr-defined]
    assert (await client.post("/staff/admin/keys/generate", data={"_csrf_token": token})).status_code == 403
    assert await db.scalar(select(RuleSetProposal.id)) is None
    assert await db.scalar(select(SigningKeyRecord.id)) is None


async def test_keys_generate_prepare_rotate_retire(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    admin = await new_admin(db, settings, clock, "admin.sun")
    token = await sign_in_as(client, admin, clock)

    async def act(action: str, **fields: str) -> str:
        response = await client.post(
            f"/staff/admin/keys/{action}", data={"_csrf_token": token, **fields}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return (await client.get(response.headers["location"])).text

    assert "There is no signing key yet" in (await client.get("/staff/admin/keys")).text
    assert "The first key is active" in await act("generate")
    assert "The next key is published in the trust list. Rotate in 5 minutes or later." in await act("prepare")
    twice = await client.post("/staff/admin/keys/prepare", data={"_csrf_token": token})
    assert twice.status_code == 409
    assert field_error(twice.text, "desk") == "The next key is prepared already: rotating makes it active."
    assert "other regions may refuse its codes" in await act("rotate"), "rotated before the 5 minutes"
    active = await db.scalar(select(SigningKeyRecord.kid).where(SigningKeyRecord.status == "active"))
    assert active is not None
    unconfirmed = await client.post("/staff/admin/keys/retire", data={"_csrf_token": token, "kid": active})
    assert unconfirmed.status_code == 422
    assert field_error(unconfirmed.text, "confirm").startswith("Confirm that no code can be issued")
    assert "The key is retired." in await act("retire", kid=active, confirm="yes")
    actions = await db.scalars(select(AuditRecord.action).where(AuditRecord.actor == f"staff:{admin.account.id}"))
    assert [a for a in actions if a.startswith("keys.")] == [
        "keys.generate",
        "keys.prepare",
        "keys.rotate",
        "keys.retire",
    ]


async def test_a_trust_list_is_added_from_a_file_shown_and_removed(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token = await sign_in_as(client, await new_admin(db, settings, clock, "admin.li"), clock)
    document = foreign_list(generate_signing_key())

    async def upload(content: bytes) -> object:
        return await client.post(
            "/staff/admin/issuers",
            data={"_csrf_token": token},
            files={"file": ("trust-list.json", content, "application/json")},
            follow_redirects=False,
        )

    tampered = await upload(json.dumps({**document, "issued_at": 1}).encode())
    assert tampered.status_code == 422  # type: ignore[attr-defined]
    assert field_error(tampered.text, "file") == "This trust list was refused:"  # type: ignore[attr-defined]
    assert "does not verify" in tampered.text  # type: ignore[attr-defined]

    added = await upload(json.dumps(document).encode())
    assert added.status_code == 303  # type: ignore[attr-defined]
    page = await client.get(added.headers["location"])  # type: ignore[attr-defined]
    assert "The list is trusted" in page.text
    assert f'data-issuer="{OTHER_ISSUER}"' in page.text
    assert document["keys"][0]["kid"] in page.text

    removed = await client.post(
        "/staff/admin/issuers/remove", data={"_csrf_token": token, "issuer": OTHER_ISSUER}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert await db.scalar(select(TrustedListRecord.id)) is None


async def test_a_rule_set_file_is_checked_and_forms_need_the_csrf_token(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token = await sign_in_as(client, await new_admin(db, settings, clock, "admin.zhou"), clock)
    uploaded = await client.post(
        "/staff/admin/rules",
        data={"action": "check", "source": "", "_csrf_token": token},
        files={"file": ("milder.toml", MILDER.encode(), "application/toml")},
    )
    assert uploaded.status_code == 200
    assert "Valid: it can be proposed for activation." in uploaded.text
    assert "+list.close_contact: yellow" in uploaded.text
    latin1 = await client.post(
        "/staff/admin/rules",
        data={"action": "check", "source": "", "_csrf_token": token},
        files={"file": ("old.toml", "名".encode("gb18030"), "application/toml")},
    )
    assert field_error(latin1.text, "file") == "The file is not UTF-8 text."

    forged = await client.post(
        "/staff/admin/rules", data={"action": "propose", "source": MILDER}, files={"file": ("", b"", "text/plain")}
    )
    assert forged.status_code == 403
    assert (await client.post("/staff/admin/keys/generate", data={})).status_code == 403
    assert await db.scalar(select(RuleSetProposal.id)) is None
