"""The resident login API of API.md, end to end through HTTP."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.db.models import SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from healthcode.i18n import translate

Client = AsyncTestClient[Litestar]
PHONE = "13800138000"


async def outbox_code(db: AsyncSession, phone: str = PHONE) -> str:
    db.expire_all()
    code = await db.scalar(
        select(SmsOutboxMessage.code).where(SmsOutboxMessage.phone == phone).order_by(SmsOutboxMessage.id.desc())
    )
    assert code
    return code


async def log_in(client: Client, db: AsyncSession, phone: str = PHONE) -> str:
    assert (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code == 202
    response = await client.post("/api/v1/auth/sessions", json={"phone": phone, "code": await outbox_code(db, phone)})
    assert response.status_code == 201
    return str(response.json()["token"])


def assert_error(body: dict[str, Any], code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    assert body["error"]["message"]


async def test_send_code_answers_with_the_quota(client: Client) -> None:
    response = await client.post("/api/v1/auth/sms-codes", json={"phone": "138 0013 8000"})
    assert response.status_code == 202
    assert response.json() == {"expires_in": 300, "resend_after": 60, "remaining_today": 4}
    quota = await client.get("/api/v1/auth/sms-codes/quota", params={"phone": PHONE})
    assert quota.json() == {"resend_after": 60, "remaining_today": 4}


async def test_login_me_sessions_and_logout(client: Client, db: AsyncSession) -> None:
    token = await log_in(client, db)
    auth = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=auth)
    assert me.json()["masked_phone"] == "138****8000"
    sessions = (await client.get("/api/v1/auth/sessions", headers=auth)).json()
    assert [s["current"] for s in sessions] == [True]
    removed = await client.delete(f"/api/v1/auth/sessions/{sessions[0]['id']}", headers=auth)
    assert removed.status_code == 204
    after = await client.get("/api/v1/me", headers=auth)
    assert after.status_code == 401
    assert_error(after.json(), "unauthenticated")


async def test_one_device_logs_out_another(client: Client, db: AsyncSession, clock: FixedClock) -> None:
    first = await log_in(client, db)
    clock.advance(seconds=61)
    second = await log_in(client, db)
    listed = (await client.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {second}"})).json()
    assert len(listed) == 2
    other = next(s for s in listed if not s["current"])
    await client.delete(f"/api/v1/auth/sessions/{other['id']}", headers={"Authorization": f"Bearer {second}"})
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})).status_code == 401
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})).status_code == 200


async def test_too_soon_is_429_with_retry_after(client: Client, clock: FixedClock) -> None:
    await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    clock.advance(seconds=15)
    response = await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "45"
    assert_error(response.json(), "sms_too_soon", "phone")
    assert response.json()["error"]["remaining_today"] == 4
    assert "45" in response.json()["error"]["message"]


DAILY_LIMIT = (
    "This number has used all {daily_limit} codes for today. You can request a new code "
    "tomorrow; a code you have already received can still be used until it expires."
)


@pytest.mark.settings(sms_daily_limit=2, sms_resend_interval_s=0)
async def test_daily_limit_in_chinese_english_and_mongolian(client: Client) -> None:
    for _ in range(2):
        assert (await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})).status_code == 202
    zh = await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    assert zh.status_code == 429
    assert_error(zh.json(), "sms_daily_limit", "phone")
    assert "今天的 2 次验证码已用完" in zh.json()["error"]["message"]
    en = await client.post(
        "/api/v1/auth/sms-codes", json={"phone": PHONE}, headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert "used all 2 codes for today" in en.json()["error"]["message"]
    mn = await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE}, headers={"Accept-Language": "mn-Mong"})
    assert mn.json()["error"]["message"] == translate(DAILY_LIMIT, "mn", daily_limit=2)
    assert "ᠬᠡᠷᠡᠭᠯᠡᠪᠡ" in mn.json()["error"]["message"], "in the traditional script"


@pytest.mark.settings(sms_ip_hourly_limit=2, sms_resend_interval_s=0)
async def test_client_address_limit(client: Client) -> None:
    for phone in ("13800138001", "13800138002"):
        assert (await client.post("/api/v1/auth/sms-codes", json={"phone": phone})).status_code == 202
    response = await client.post("/api/v1/auth/sms-codes", json={"phone": "13800138003"})
    assert response.status_code == 429
    assert_error(response.json(), "sms_ip_limit")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"phone": "123"}, 422, "phone_invalid", "phone"),
        ({"phone": ""}, 422, "phone_required", "phone"),
        ({"phone": 13800138000}, 400, "invalid_request", "phone"),
        ({}, 400, "invalid_request", "phone"),
    ],
)
async def test_bad_send_requests(client: Client, body: dict[str, Any], status: int, code: str, field: str) -> None:
    response = await client.post("/api/v1/auth/sms-codes", json=body)
    assert response.status_code == status
    assert_error(response.json(), code, field)


async def test_unreadable_json(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/sms-codes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert_error(response.json(), "bad_request")


async def test_wrong_code_says_how_many_tries_are_left(client: Client, db: AsyncSession) -> None:
    await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    right = await outbox_code(db)
    wrong = "000000" if right != "000000" else "999999"
    response = await client.post("/api/v1/auth/sessions", json={"phone": PHONE, "code": wrong})
    assert response.status_code == 401
    assert_error(response.json(), "sms_code_wrong", "code")
    assert response.json()["error"]["attempts_left"] == 4
    assert "4" in response.json()["error"]["message"]


async def test_expired_code_is_refused(client: Client, db: AsyncSession, clock: FixedClock) -> None:
    await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    code = await outbox_code(db)
    clock.advance(minutes=6)
    response = await client.post("/api/v1/auth/sessions", json={"phone": PHONE, "code": code})
    assert response.status_code == 401
    assert_error(response.json(), "sms_code_expired", "code")


async def test_login_without_a_code_sent(client: Client) -> None:
    response = await client.post("/api/v1/auth/sessions", json={"phone": PHONE, "code": "123456"})
    assert response.status_code == 401
    assert_error(response.json(), "sms_code_missing", "code")


async def test_protected_calls_need_a_token(client: Client) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        response = await client.get("/api/v1/auth/sessions", headers=headers)
        assert response.status_code == 401
        assert_error(response.json(), "unauthenticated")


async def test_session_of_another_resident_cannot_be_revoked(client: Client, db: AsyncSession) -> None:
    mine = await log_in(client, db, "13800138000")
    theirs = await log_in(client, db, "13900139000")
    their_id = (await client.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {theirs}"})).json()[0][
        "id"
    ]
    response = await client.delete(f"/api/v1/auth/sessions/{their_id}", headers={"Authorization": f"Bearer {mine}"})
    assert response.status_code == 404
    assert_error(response.json(), "session_not_found", "session_id")
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {theirs}"})).status_code == 200
