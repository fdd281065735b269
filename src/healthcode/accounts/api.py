"""Resident login API under ``/api/v1/auth`` (API.md)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, post
from litestar.params import FromQuery, JSONBody

from healthcode.accounts.deletion import AccountDeletion
from healthcode.accounts.schemas import (
    DeviceSession,
    LoginRequest,
    Me,
    SessionCreated,
    SmsCodeRequest,
    SmsCodeSent,
    SmsQuota,
)
from healthcode.accounts.service import LoginService, get_resident
from healthcode.domain.phone import mask_mobile
from healthcode.kit.deps import ClientIp, ClockDep, CurrentResident, DbSession, LanguageDep, RowId, SettingsDep
from healthcode.sessions.service import PrincipalKind, SessionStore
from healthcode.sms.provider import make_provider


def login_service(db: DbSession, settings: SettingsDep, clock: ClockDep) -> LoginService:
    return LoginService(db, settings, clock, make_provider(settings, db, clock))


@post("/sms-codes", status_code=202, summary="Send a login code by SMS")
async def send_sms_code(
    data: JSONBody[SmsCodeRequest],
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    ip: ClientIp,
    language: LanguageDep,
) -> SmsCodeSent:
    """Sends a 6-digit code; 429 ``sms_daily_limit``, ``sms_too_soon`` or ``sms_ip_limit`` with
    ``Retry-After`` when a limit stops it."""
    sent = await login_service(db, settings, clock).send_code(data.phone, ip, language)
    return SmsCodeSent(sent.expires_in, sent.quota.resend_after_s, sent.quota.remaining_today)


@get("/sms-codes/quota", summary="How many codes this number can still get today")
async def sms_quota(
    phone: FromQuery[str], db: DbSession, settings: SettingsDep, clock: ClockDep, ip: ClientIp
) -> SmsQuota:
    quota = await login_service(db, settings, clock).quota(phone, ip)
    return SmsQuota(quota.resend_after_s, quota.remaining_today)


@post("/sessions", status_code=201, summary="Log in with the SMS code")
async def create_session(
    request: Request[Any, Any, Any],
    data: JSONBody[LoginRequest],
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    ip: ClientIp,
) -> SessionCreated:
    """Opens a device session lasting ``HEALTHCODE_SESSION_TTL_DAYS``; 401 ``sms_code_wrong``
    with ``attempts_left``, ``sms_code_expired``, ``sms_code_exhausted`` or ``sms_code_missing``."""
    done = await login_service(db, settings, clock).log_in(
        data.phone, data.code, device=request.headers.get("user-agent", ""), client_ip=ip
    )
    return SessionCreated(done.token, done.session.expires_at)


@get("/sessions", summary="The caller's logged-in devices")
async def list_sessions(resident: CurrentResident, db: DbSession, clock: ClockDep) -> list[DeviceSession]:
    rows = await SessionStore(db, clock).live(PrincipalKind.RESIDENT, resident.id)
    return [
        DeviceSession(r.id, r.device, r.created_at, r.last_seen_at, r.expires_at, r.id == resident.session_id)
        for r in rows
    ]


@delete("/sessions/{session_id:int}", status_code=204, summary="Log a device out")
async def revoke_session(session_id: RowId, resident: CurrentResident, db: DbSession, clock: ClockDep) -> None:
    await SessionStore(db, clock).revoke(resident, session_id)


@get("/me", summary="The logged-in resident")
async def me(resident: CurrentResident, db: DbSession) -> Me:
    row = await get_resident(db, resident.id)
    return Me(mask_mobile(row.phone), row.created_at)


@delete("/me", status_code=204, summary="Delete my account")
async def delete_me(resident: CurrentResident, db: DbSession, settings: SettingsDep, clock: ClockDep) -> None:
    """Sessions and links end at once; the account's own data goes, and each card's data once no
    other phone holds the card (a family member's card stays on the phones that show it)."""
    await AccountDeletion(db, settings, clock).delete(resident.id)


router = Router(
    path="/api/v1",
    route_handlers=[
        Router(path="/auth", route_handlers=[send_sms_code, sms_quota, create_session, list_sessions, revoke_session]),
        me,
        delete_me,
    ],
    tags=["resident login"],
)
