"""Staff accounts: creation rules, sign-in with a second factor, lockout, audit."""

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.config import Settings
from healthcode.db.models import AuditRecord
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Conflict, InvalidInput, Unauthenticated
from healthcode.domain.staff_auth import check_password_strength
from healthcode.staff.service import StaffService

PASSWORD = "Reviewer-Pass-2026"


@pytest.fixture
def staff(db: AsyncSession, settings: Settings, clock: FixedClock) -> StaffService:
    return StaffService(db, settings, clock)


def now_code(secret: str, clock: FixedClock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


async def test_create_and_sign_in(staff: StaffService, clock: FixedClock, db: AsyncSession) -> None:
    created = await staff.create("Wang.Li", "王丽", ["reviewer", "support"], password=PASSWORD)
    assert created.account.username == "wang.li"
    assert created.account.roles == ["reviewer", "support"]
    assert created.account.password_hash.startswith("$argon2")
    assert created.provisioning_uri.startswith("otpauth://totp/")

    done = await staff.sign_in("wang.li", PASSWORD, now_code(created.totp_secret, clock), client_ip="10.1.1.1")
    assert done.account.id == created.account.id
    actions = [r.action for r in await db.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert actions == ["admin.staff.create", "staff.sign_in"]


async def test_generated_password_is_strong_and_works(staff: StaffService, clock: FixedClock) -> None:
    created = await staff.create("zhao", "", ["clerk"])
    check_password_strength(created.password, "zhao")
    await staff.sign_in("zhao", created.password, now_code(created.totp_secret, clock))


@pytest.mark.parametrize(
    ("username", "roles", "password", "code"),
    [
        ("li", ["chef"], PASSWORD, "role_unknown"),
        ("li", [], PASSWORD, "role_required"),
        ("li si", ["clerk"], PASSWORD, "username_invalid"),
        ("li", ["clerk"], "short", "password_weak"),
    ],
)
async def test_creation_refuses_bad_input(
    staff: StaffService, username: str, roles: list[str], password: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await staff.create(username, "", roles, password=password)
    assert caught.value.code == code
    assert await staff.all() == []


async def test_username_is_unique(staff: StaffService) -> None:
    await staff.create("li", "", ["clerk"], password=PASSWORD)
    with pytest.raises(Conflict):
        await staff.create("LI", "", ["clerk"], password=PASSWORD)


@pytest.mark.parametrize("which", ["password", "totp", "user"])
async def test_any_wrong_part_gives_the_same_answer(staff: StaffService, clock: FixedClock, which: str) -> None:
    created = await staff.create("li", "", ["clerk"], password=PASSWORD)
    code = now_code(created.totp_secret, clock)
    args = {
        "password": ("li", PASSWORD + "x", code),
        "totp": ("li", PASSWORD, f"{(int(code) + 1) % 1000000:06d}"),
        "user": ("nobody", PASSWORD, code),
    }[which]
    with pytest.raises(Unauthenticated) as caught:
        await staff.sign_in(*args)
    assert caught.value.code == "staff_credentials_wrong"


async def test_lockout_after_five_failures_even_with_the_right_password(
    staff: StaffService, clock: FixedClock, db: AsyncSession
) -> None:
    created = await staff.create("li", "", ["clerk"], password=PASSWORD)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            await staff.sign_in("li", "Wrong-Password-1", now_code(created.totp_secret, clock))
    with pytest.raises(Unauthenticated) as caught:
        await staff.sign_in("li", "Wrong-Password-1", now_code(created.totp_secret, clock))
    assert caught.value.code == "staff_locked"
    with pytest.raises(Unauthenticated) as caught:
        await staff.sign_in("li", PASSWORD, now_code(created.totp_secret, clock))
    assert caught.value.code == "staff_locked"

    clock.advance(minutes=15)
    await staff.sign_in("li", PASSWORD, now_code(created.totp_secret, clock))
    actions = [r.action for r in await db.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert actions == ["admin.staff.create", *["staff.sign_in_failed"] * 4, "staff.locked", "staff.sign_in"]


async def test_unlock(staff: StaffService, clock: FixedClock) -> None:
    created = await staff.create("li", "", ["clerk"], password=PASSWORD)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await staff.sign_in("li", "Wrong-Password-1", "000000")
    await staff.unlock("li", actor="staff:1")
    await staff.sign_in("li", PASSWORD, now_code(created.totp_secret, clock))


async def test_audit_chain_of_staff_actions_verifies(
    staff: StaffService, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await staff.create("li", "", ["clerk"], password=PASSWORD)
    await staff.create("wu", "", ["admin"], password=PASSWORD)
    report = await AuditTrail(db, settings.audit_key, clock).verify()
    assert (report.ok, report.checked) == (True, 2)


async def test_an_authenticator_code_works_once(staff: StaffService, clock: FixedClock) -> None:
    created = await staff.create("li", "", ["clerk"], password=PASSWORD)
    code = now_code(created.totp_secret, clock)
    await staff.sign_in("li", PASSWORD, code)
    with pytest.raises(Unauthenticated) as caught:
        await staff.sign_in("li", PASSWORD, code)
    assert caught.value.code == "staff_credentials_wrong"
    clock.advance(seconds=30)
    await staff.sign_in("li", PASSWORD, now_code(created.totp_secret, clock))
