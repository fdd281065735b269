"""The administrators' page of staff API keys: choose an account, make a key (shown once), revoke
one. Read in English, so the assertions hold whatever the zh-CN catalog says."""

import json
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import AuditRecord, StaffApiKey
from healthcode.domain.clock import FixedClock
from tests import factories

Client = AsyncTestClient[Litestar]
PAGE = "/staff/api-keys"


async def signed_in(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock, roles: list[str]) -> str:
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=roles, username="boss", display_name="赵管理")
    return await factories.sign_in_staff(client, account, clock)


async def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    csrf = await signed_in(client, db, settings, clock, ["admin"])
    await factories.staff(db, settings, clock, roles=["authority"], username="official", display_name="李官员")
    shell = await client.get("/staff")
    assert f'href="{PAGE}"' in shell.text
    assert "Staff API keys" in shell.text

    page = await client.get(PAGE, params={"account": "official"})
    assert page.status_code == 200
    assert '<option value="official" selected>' in page.text
    assert "This account has no keys." in page.text
    assert 'name="scopes" value="lists"' in page.text
    assert "needs the role: Health authority" in page.text

    made = await client.post(
        PAGE, data={"account": "official", "scopes": ["lists"], "label": "CDC system", "_csrf_token": csrf}
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    shown = re.search(r'id="new-key">(hcsk_([0-9a-f]{12})_[A-Za-z0-9_-]{43})</code>', made.text)
    assert shown, made.text
    key, key_id = shown.groups()
    assert "it is shown this once" in made.text
    row = await db.scalar(select(StaffApiKey).where(StaffApiKey.key_id == key_id))
    assert row is not None
    assert (row.scopes, row.label) == (["lists"], "CDC system")
    assert key not in row.secret_hash

    again = await client.get(PAGE, params={"account": "official"})
    assert key_id in again.text
    assert key not in again.text, "the key is shown once"
    assert "CDC system" in again.text
    assert f'<tr data-key="{key_id}">' in again.text

    used = await client.get("/api/v1/staff/api-key", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 200

    revoked = await client.post(f"{PAGE}/{key_id}/revoke", data={"_csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{PAGE}?account=official&done=revoked"
    after = await client.get(revoked.headers["location"])
    assert "The key is revoked: it no longer works." in after.text
    assert "Revoked 2026-03-01" in after.text
    assert f'action="{PAGE}/{key_id}/revoke"' not in after.text
    assert (await client.get("/api/v1/staff/api-key", headers={"Authorization": f"Bearer {key}"})).status_code == 401

    audit = list(await db.scalars(select(AuditRecord).where(AuditRecord.action.like("api_key.%"))))
    assert [(r.action, r.actor, json.loads(r.detail)["key"]) for r in audit] == [
        ("api_key.create", audit[0].actor, key_id),
        ("api_key.revoke", audit[0].actor, key_id),
    ]
    assert audit[0].actor.startswith("staff:")


async def test_a_key_needs_scopes_its_account_can_use(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    csrf = await signed_in(client, db, settings, clock, ["admin"])
    await factories.staff(db, settings, clock, roles=["checkpoint"], username="gate", display_name="门岗")
    none = await client.post(PAGE, data={"account": "gate", "_csrf_token": csrf})
    assert none.status_code == 422
    assert 'id="scopes-error"' in none.text
    assert "Give the key at least one scope." in none.text
    wrong = await client.post(PAGE, data={"account": "gate", "scopes": ["lists"], "_csrf_token": csrf})
    assert wrong.status_code == 422
    assert "does not hold a role the scope lists needs (authority)" in wrong.text
    assert 'value="lists" checked' in wrong.text
    assert await db.scalar(select(StaffApiKey.id)) is None
    unknown = await client.get(PAGE, params={"account": "nobody"})
    assert unknown.status_code == 404
    assert "No such staff account." in unknown.text


async def test_only_administrators_see_the_page(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert (await client.get(PAGE, follow_redirects=False)).headers["location"] == "/staff/login"
    csrf = await signed_in(client, db, settings, clock, ["authority"])
    assert (await client.get(PAGE)).status_code == 403
    refused = await client.post(PAGE, data={"account": "boss", "scopes": ["lists"], "_csrf_token": csrf})
    assert refused.status_code == 403
    assert await db.scalar(select(StaffApiKey.id)) is None
