"""The administrators' pages: staff accounts (create with secrets shown once, roles, disable and
enable, new password and second factor, unlock) and checkpoint sites (create, edit, who works where).

Pages are read in English, so the assertions hold however the zh-CN catalog grows.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, AuthSession, Site, StaffAccount, StaffSite
from healthcode.domain.clock import FixedClock
from tests import factories

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def admin(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> factories.NewStaff:
    """An administrator signed in, reading English."""
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=["admin"], username="root.admin", display_name="管理员")
    await factories.sign_in_staff(client, account, clock)
    return account


@contextmanager
def another_device(client: Client) -> Iterator[None]:
    """The same test client as someone else's browser: its own cookies, the admin's back after."""
    saved = httpx.Cookies(client.cookies)
    client.cookies.clear()
    try:
        yield
    finally:
        client.cookies = saved


async def csrf(client: Client, path: str) -> str:
    return await factories.csrf_token(client, path)


async def actions(db: AsyncSession) -> list[tuple[str, str, str]]:
    rows = await db.scalars(select(AuditRecord).order_by(AuditRecord.seq))
    return [(r.actor, r.action, r.subject) for r in rows if r.action.startswith("admin.")]


async def test_the_shell_offers_both_desks_to_administrators(client: Client, admin: factories.NewStaff) -> None:
    shell = await client.get("/staff")
    assert 'href="/staff/admin/accounts"' in shell.text
    assert 'href="/staff/admin/sites"' in shell.text


async def test_an_admin_creates_an_account_and_sees_its_secrets_once(
    client: Client, admin: factories.NewStaff, db: AsyncSession
) -> None:
    token = await csrf(client, "/staff/admin/accounts")
    created = await client.post(
        "/staff/admin/accounts",
        data={
            "username": "Gate.Zhao",
            "display_name": "赵门岗",
            "roles": ["checkpoint", "support"],
            "_csrf_token": token,
        },
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    password = re.search(r'id="new-password">([^<]+)<', created.text)
    secret = re.search(r'id="new-secret">([A-Z2-7]+)<', created.text)
    assert password
    assert secret
    assert 'id="enrolment-qr" src="data:image/svg+xml' in created.text
    assert "otpauth://totp/HealthCode:gate.zhao?secret=" + secret.group(1) in created.text

    account = await db.scalar(select(StaffAccount).where(StaffAccount.username == "gate.zhao"))
    assert account is not None
    assert account.roles == ["checkpoint", "support"]
    assert account.display_name == "赵门岗"
    assert password.group(1) not in account.password_hash

    listing = await client.get("/staff/admin/accounts")
    assert "gate.zhao" in listing.text
    assert password.group(1) not in listing.text, "the password is shown once"
    detail = await client.get(f"/staff/admin/accounts/{account.id}")
    assert secret.group(1) not in detail.text, "the secret is shown once"

    record = await db.scalar(select(AuditRecord).where(AuditRecord.subject == f"staff:{account.id}"))
    assert record is not None
    assert record.action == "admin.staff.create"
    assert (record.actor, record.subject) == (f"staff:{admin.account.id}", f"staff:{account.id}")
    assert password.group(1) not in record.detail
    assert secret.group(1) not in record.detail


@pytest.mark.parametrize(
    ("username", "roles", "field", "message"),
    [
        ("", ["clerk"], "username", "User names use letters, digits, dot, dash or underscore."),
        ("li si", ["clerk"], "username", "User names use letters, digits, dot, dash or underscore."),
        ("new.clerk", [], "roles", "Give the account at least one role."),
        ("new.clerk", ["chef"], "roles", "Unknown role chef; use one of:"),
        ("root.admin", ["clerk"], "username", "This user name is taken."),
    ],
)
async def test_bad_input_is_refused_with_a_clear_message_and_nothing_made(
    client: Client,
    admin: factories.NewStaff,
    db: AsyncSession,
    username: str,
    roles: list[str],
    field: str,
    message: str,
) -> None:
    token = await csrf(client, "/staff/admin/accounts")
    refused = await client.post(
        "/staff/admin/accounts", data={"username": username, "roles": roles, "_csrf_token": token}
    )
    assert refused.status_code in (409, 422)
    assert re.search(rf'id="{field}-error" role="alert">{re.escape(message)}', refused.text), refused.text
    assert len(list(await db.scalars(select(StaffAccount)))) == 1
    assert await actions(db) == [("cli", "admin.staff.create", f"staff:{admin.account.id}")]


async def test_other_roles_are_refused_every_admin_page(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await client.get("/prefs/language/en?next=/staff/login")
    other = await factories.staff(db, settings, clock, roles=["support", "authority"], username="agent")
    token = await factories.sign_in_staff(client, other, clock)
    assert 'href="/staff/admin' not in (await client.get("/staff")).text
    for path in ("/staff/admin/accounts", f"/staff/admin/accounts/{other.account.id}", "/staff/admin/sites"):
        assert (await client.get(path)).status_code == 403, path
    posts = {
        "/staff/admin/accounts": {"username": "sneaky", "roles": "admin"},
        f"/staff/admin/accounts/{other.account.id}/roles": {"roles": "admin"},
        f"/staff/admin/accounts/{other.account.id}/password": {},
        "/staff/admin/sites": {"name": "X", "region": "150102"},
    }
    for path, form in posts.items():
        response = await client.post(path, data={**form, "_csrf_token": token})
        assert response.status_code == 403, path
        assert "This page needs the role: Administrator." in response.text
    account = await db.get(StaffAccount, other.account.id)
    assert account is not None
    assert account.roles == ["authority", "support"]
    assert await db.scalar(select(Site)) is None


async def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = await client.get("/staff/admin/accounts", follow_redirects=False)
    assert response.status_code in (302, 303, 401)


async def test_an_admin_cannot_disable_themselves_or_drop_their_own_admin_role(
    client: Client, admin: factories.NewStaff, db: AsyncSession
) -> None:
    me = admin.account.id
    page = await client.get(f"/staff/admin/accounts/{me}")
    assert 'id="disable"' not in page.text, "no button to disable oneself"
    token = await csrf(client, f"/staff/admin/accounts/{me}")
    refused = await client.post(f"/staff/admin/accounts/{me}/disable", data={"_csrf_token": token})
    assert refused.status_code == 409
    assert "You cannot disable your own account. Ask another administrator." in refused.text
    demoted = await client.post(f"/staff/admin/accounts/{me}/roles", data={"roles": "support", "_csrf_token": token})
    assert demoted.status_code == 409
    assert "You cannot remove your own administrator role." in demoted.text
    account = await db.get(StaffAccount, me)
    assert account is not None
    await db.refresh(account)
    assert (account.active, account.roles) == (True, ["admin"])
    assert (await client.get("/staff")).status_code == 200, "still signed in"


async def test_roles_change_and_a_disabled_account_is_signed_out_everywhere(
    client: Client, admin: factories.NewStaff, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    other = await factories.staff(db, settings, clock, roles=["reviewer"], username="rev.li")
    staff_id = other.account.id
    with another_device(client):
        clock.advance(seconds=31)
        await factories.sign_in_staff(client, other, clock)
        assert (await client.get("/staff")).status_code == 200
        theirs = httpx.Cookies(client.cookies)

    token = await csrf(client, f"/staff/admin/accounts/{staff_id}")
    saved = await client.post(
        f"/staff/admin/accounts/{staff_id}/roles", data={"roles": ["reviewer", "clerk"], "_csrf_token": token}
    )
    assert "The roles are saved." in saved.text
    disabled = await client.post(f"/staff/admin/accounts/{staff_id}/disable", data={"_csrf_token": token})
    assert "The account is disabled and signed out everywhere." in disabled.text
    assert '<dd id="state">Disabled</dd>' in disabled.text
    with another_device(client):
        client.cookies = theirs
        signed_out = await client.get("/staff", follow_redirects=False)
        assert signed_out.status_code in (302, 303)
        assert "/staff/login" in signed_out.headers["location"]

    sessions = await db.scalars(select(AuthSession).where(AuthSession.principal_id == staff_id))
    assert all(s.revoked_at is not None for s in sessions)
    account = await db.get(StaffAccount, staff_id)
    assert account is not None
    await db.refresh(account)
    assert account.roles == ["clerk", "reviewer"]
    enabled = await client.post(f"/staff/admin/accounts/{staff_id}/enable", data={"_csrf_token": token})
    assert "The account can sign in again." in enabled.text
    mine = f"staff:{admin.account.id}"
    assert await actions(db) == [
        ("cli", "admin.staff.create", f"staff:{admin.account.id}"),
        ("cli", "admin.staff.create", f"staff:{staff_id}"),
        (mine, "admin.staff.roles", f"staff:{staff_id}"),
        (mine, "admin.staff.disable", f"staff:{staff_id}"),
        (mine, "admin.staff.enable", f"staff:{staff_id}"),
    ]


async def test_new_password_and_second_factor_are_shown_once_and_work(
    client: Client, admin: factories.NewStaff, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    other = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk.wu")
    staff_id = other.account.id
    token = await csrf(client, f"/staff/admin/accounts/{staff_id}")
    reset = await client.post(f"/staff/admin/accounts/{staff_id}/password", data={"_csrf_token": token})
    assert reset.headers["cache-control"] == "no-store"
    found = re.search(r'id="new-password">([^<]+)<', reset.text)
    assert found
    password = found.group(1)
    enrolled = await client.post(f"/staff/admin/accounts/{staff_id}/authenticator", data={"_csrf_token": token})
    found = re.search(r'id="new-secret">([A-Z2-7]+)<', enrolled.text)
    assert found
    secret = found.group(1)
    assert secret != other.totp_secret
    assert 'id="enrolment-qr"' in enrolled.text

    with another_device(client):
        login = await factories.csrf_token(client, "/staff/login")
        old = await client.post(
            "/staff/login",
            data={
                "username": "clerk.wu",
                "password": password,
                "totp": pyotp.TOTP(other.totp_secret).at(clock.now()),
                "_csrf_token": login,
            },
            follow_redirects=False,
        )
        assert old.status_code == 401, "the old authenticator no longer works"
        fresh = await client.post(
            "/staff/login",
            data={
                "username": "clerk.wu",
                "password": password,
                "totp": pyotp.TOTP(secret).at(clock.now()),
                "_csrf_token": login,
            },
            follow_redirects=False,
        )
        assert fresh.status_code == 303
    records = [r for r in await db.scalars(select(AuditRecord)) if r.action.startswith("admin.staff.reset")]
    assert [r.action for r in records] == ["admin.staff.reset_password", "admin.staff.reset_second_factor"]
    assert all(password not in r.detail and secret not in r.detail for r in records)


async def test_an_admin_lifts_a_lockout(
    client: Client, admin: factories.NewStaff, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    other = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk.ma")
    account = await db.get(StaffAccount, other.account.id)
    assert account is not None
    account.failed_logins, account.locked_until = 0, clock.now() + timedelta(minutes=15)
    await db.commit()
    page = await client.get(f"/staff/admin/accounts/{account.id}")
    assert "Locked until" in page.text
    token = await csrf(client, f"/staff/admin/accounts/{account.id}")
    lifted = await client.post(f"/staff/admin/accounts/{account.id}/unlock", data={"_csrf_token": token})
    assert "The lockout is lifted." in lifted.text
    await db.refresh(account)
    assert account.locked_until is None


async def test_sites_are_created_edited_and_staffed(
    client: Client, admin: factories.NewStaff, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    gate = await factories.staff(db, settings, clock, roles=["checkpoint"], username="gate.sun")
    await factories.staff(db, settings, clock, roles=["clerk"], username="clerk.qian")
    token = await csrf(client, "/staff/admin/sites")
    created = await client.post(
        "/staff/admin/sites",
        data={"name": " 新华广场  东门 ", "region": "150102", "temperature_required": "on", "_csrf_token": token},
    )
    assert "The site is created." in created.text
    site = await db.scalar(select(Site))
    assert site is not None
    assert (site.name, site.region_code, site.temperature_required) == ("新华广场 东门", "150102", True)
    assert 'data-account="gate.sun"' in created.text
    assert 'data-account="clerk.qian"' not in created.text, "only checkpoint accounts work at sites"

    edited = await client.post(
        f"/staff/admin/sites/{site.id}", data={"name": "新华广场东门", "region": "150103", "_csrf_token": token}
    )
    assert "The site is saved." in edited.text
    await db.refresh(site)
    assert (site.name, site.region_code, site.temperature_required) == ("新华广场东门", "150103", False)

    bound = await client.post(
        "/staff/admin/sites/staffing", data={"username": "gate.sun", "site_id": str(site.id), "_csrf_token": token}
    )
    assert "The account now works at the chosen site." in bound.text
    binding = await db.get(StaffSite, gate.account.id)
    assert binding is not None
    assert binding.site_id == site.id
    refused = await client.post(
        "/staff/admin/sites/staffing", data={"username": "clerk.qian", "site_id": str(site.id), "_csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Only checkpoint accounts can be bound to a site." in refused.text
    unbound = await client.post(
        "/staff/admin/sites/staffing", data={"username": "gate.sun", "site_id": "", "_csrf_token": token}
    )
    assert "The account no longer works at a site." in unbound.text
    db.expunge_all()
    assert await db.get(StaffSite, gate.account.id) is None
    mine = f"staff:{admin.account.id}"
    assert [a for a in await actions(db) if a[1].startswith("admin.site")] == [
        (mine, "admin.site.create", f"site:{site.id}"),
        (mine, "admin.site.edit", f"site:{site.id}"),
        (mine, "admin.site.bind", f"staff:{gate.account.id}"),
        (mine, "admin.site.unbind", f"staff:{gate.account.id}"),
    ]


@pytest.mark.parametrize(
    ("name", "region", "field", "message"),
    [
        ("", "150102", "name", "Give the site a name of at most 100 characters."),
        ("东门", "15010", "region", "The region code is the six-digit GB/T 2260 code of a district"),
        ("东门", "159999", "region", "The region code is the six-digit GB/T 2260 code of a district"),
        ("东门", "１５０１０２", "region", "The region code is the six-digit GB/T 2260 code of a district"),
    ],
)
async def test_bad_sites_are_refused(
    client: Client, admin: factories.NewStaff, db: AsyncSession, name: str, region: str, field: str, message: str
) -> None:
    token = await csrf(client, "/staff/admin/sites")
    refused = await client.post("/staff/admin/sites", data={"name": name, "region": region, "_csrf_token": token})
    assert refused.status_code == 422
    assert re.search(rf'id="{field}-error" role="alert">{re.escape(message)}', refused.text)
    assert await db.scalar(select(Site)) is None


async def test_a_bad_edit_keeps_the_site_as_it_was(
    client: Client, admin: factories.NewStaff, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    site = await SiteService(db, settings, clock).create("西门", "150102")
    token = await csrf(client, f"/staff/admin/sites/{site.id}")
    refused = await client.post(
        f"/staff/admin/sites/{site.id}", data={"name": "北门", "region": "000000", "_csrf_token": token}
    )
    assert refused.status_code == 422
    assert 'value="北门"' in refused.text, "what was typed is kept"
    await db.refresh(site)
    assert (site.name, site.region_code) == ("西门", "150102")
    assert (await client.get("/staff/admin/sites/999")).status_code == 404
