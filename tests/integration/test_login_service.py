"""Resident login through the service, on a real database (SPEC §2)."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.accounts.service import LoginService
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.models import AuthSession, Resident, SmsChallenge, SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import DomainError, InvalidInput, RateLimited, Unauthenticated
from healthcode.sms.provider import OutboxProvider

PHONE = "13800138000"


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> LoginService:
    return LoginService(db, settings, clock, OutboxProvider(db, clock))


async def latest_code(db: AsyncSession, phone: str = PHONE) -> str:
    code = await db.scalar(
        select(SmsOutboxMessage.code).where(SmsOutboxMessage.phone == phone).order_by(SmsOutboxMessage.id.desc())
    )
    assert code is not None
    return code


async def count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_code_is_sent_in_chinese_and_login_creates_resident_and_session(
    service: LoginService, db: AsyncSession
) -> None:
    sent = await service.send_code(PHONE, "10.0.0.1", "zh_CN")
    assert (sent.expires_in, sent.quota.remaining_today, sent.quota.resend_after_s) == (300, 4, 60)
    text = await db.scalar(select(SmsOutboxMessage.text))
    assert text is not None
    assert "验证码" in text

    done = await service.log_in(PHONE, await latest_code(db), device="test phone", client_ip="10.0.0.1")
    assert done.resident.phone == PHONE
    assert done.session.expires_at - done.session.created_at == timedelta(days=30)
    assert done.token not in {row.token_hash for row in (await db.scalars(select(AuthSession))).all()}


async def test_a_used_code_cannot_log_in_twice(service: LoginService, db: AsyncSession) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    code = await latest_code(db)
    await service.log_in(PHONE, code, device="", client_ip="10.0.0.1")
    with pytest.raises(Unauthenticated) as caught:
        await service.log_in(PHONE, code, device="", client_ip="10.0.0.1")
    assert caught.value.code == "sms_code_missing"
    assert await count(db, Resident) == 1


async def test_wrong_codes_count_down_then_the_code_dies(service: LoginService, db: AsyncSession) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    right = await latest_code(db)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(Unauthenticated) as caught:
            await service.log_in(PHONE, wrong, device="", client_ip="10.0.0.1")
        assert (caught.value.code, caught.value.params["attempts_left"]) == ("sms_code_wrong", left)
    with pytest.raises(Unauthenticated) as caught:
        await service.log_in(PHONE, wrong, device="", client_ip="10.0.0.1")
    assert caught.value.code == "sms_code_exhausted"
    with pytest.raises(Unauthenticated) as caught:
        await service.log_in(PHONE, right, device="", client_ip="10.0.0.1")
    assert caught.value.code == "sms_code_exhausted"
    assert await count(db, AuthSession) == 0


async def test_expired_code(service: LoginService, db: AsyncSession, clock: FixedClock) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    clock.advance(seconds=301)
    with pytest.raises(Unauthenticated) as caught:
        await service.log_in(PHONE, await latest_code(db), device="", client_ip="10.0.0.1")
    assert caught.value.code == "sms_code_expired"


async def test_only_the_latest_code_works(service: LoginService, db: AsyncSession, clock: FixedClock) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    first = await latest_code(db)
    clock.advance(seconds=61)
    await service.send_code(PHONE, "10.0.0.1", "en")
    second = await latest_code(db)
    if first != second:
        with pytest.raises(Unauthenticated):
            await service.log_in(PHONE, first, device="", client_ip="10.0.0.1")
    await service.log_in(PHONE, second, device="", client_ip="10.0.0.1")


async def test_daily_limit_resets_at_local_midnight(service: LoginService, db: AsyncSession, clock: FixedClock) -> None:
    for remaining in (4, 3, 2, 1, 0):
        sent = await service.send_code(PHONE, "10.0.0.1", "en")
        assert sent.quota.remaining_today == remaining
        clock.advance(seconds=61)
    with pytest.raises(RateLimited) as caught:
        await service.send_code(PHONE, "10.0.0.1", "en")
    # it is 10:05:05 in Hohhot (UTC+8): the local day ends in 13 h 54 min 55 s
    assert caught.value.code == "sms_daily_limit"
    assert caught.value.retry_after == 13 * 3600 + 54 * 60 + 55
    assert await count(db, SmsChallenge) == 5
    clock.advance(seconds=caught.value.retry_after)
    sent = await service.send_code(PHONE, "10.0.0.1", "en")
    assert sent.quota.remaining_today == 4


async def test_resend_spacing(service: LoginService, clock: FixedClock) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    clock.advance(seconds=59)
    with pytest.raises(RateLimited) as caught:
        await service.send_code(PHONE, "10.0.0.1", "en")
    assert (caught.value.code, caught.value.retry_after) == ("sms_too_soon", 1)
    clock.advance(seconds=1)
    await service.send_code(PHONE, "10.0.0.1", "en")


@pytest.mark.settings(sms_ip_hourly_limit=3)
async def test_client_address_budget(service: LoginService, clock: FixedClock) -> None:
    for n in range(3):
        await service.send_code(f"1380013800{n}", "10.0.0.9", "en")
    with pytest.raises(RateLimited) as caught:
        await service.send_code("13800138009", "10.0.0.9", "en")
    assert caught.value.code == "sms_ip_limit"
    await service.send_code("13800138009", "10.0.0.10", "en")  # another address is not affected
    clock.advance(hours=1, seconds=1)
    await service.send_code("13800138008", "10.0.0.9", "en")


@pytest.mark.parametrize(
    ("phone", "code", "error"),
    [("12345", "123456", "phone_invalid"), (PHONE, "12345", "sms_code_format"), (PHONE, "abcdef", "sms_code_format")],
)
async def test_bad_input_changes_nothing(
    service: LoginService, db: AsyncSession, phone: str, code: str, error: str
) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    before = [await count(db, m) for m in (SmsChallenge, Resident, AuthSession)]
    with pytest.raises(InvalidInput) as caught:
        await service.log_in(phone, code, device="", client_ip="10.0.0.1")
    assert caught.value.code == error
    assert [await count(db, m) for m in (SmsChallenge, Resident, AuthSession)] == before
    attempts = await db.scalar(select(SmsChallenge.attempts))
    assert attempts == 0


async def test_refused_send_changes_nothing(service: LoginService, db: AsyncSession) -> None:
    await service.send_code(PHONE, "10.0.0.1", "en")
    with pytest.raises(DomainError):
        await service.send_code(PHONE, "10.0.0.1", "en")
    with pytest.raises(DomainError):
        await service.send_code("999", "10.0.0.1", "en")
    assert await count(db, SmsChallenge) == 1
    assert await count(db, SmsOutboxMessage) == 1


@pytest.mark.settings(sms_ip_hourly_limit=3)
async def test_an_address_budget_holds_when_servers_send_at_once(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    """Six sends for one address to six numbers, at once on six sessions (as six servers would):
    three pass. PostgreSQL only: there the sessions run in parallel (SQLite has one writer)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the parallel case is PostgreSQL's")
    sessions = make_sessionmaker(engine)

    async def send(n: int) -> bool:
        async with sessions() as db:
            try:
                await LoginService(db, settings, clock, OutboxProvider(db, clock)).send_code(
                    f"1390013900{n}", "10.0.0.7", "en"
                )
            except RateLimited:
                return False
            return True

    assert sorted(await asyncio.gather(*(send(n) for n in range(6)))) == [False] * 3 + [True] * 3
