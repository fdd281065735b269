"""JSON shapes of the resident login API (API.md)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class SmsCodeRequest(msgspec.Struct):
    phone: str


class SmsCodeSent(msgspec.Struct):
    """202: the code is on its way; what the limits allow next."""

    expires_in: int
    resend_after: int
    remaining_today: int


class SmsQuota(msgspec.Struct):
    resend_after: int
    remaining_today: int


class LoginRequest(msgspec.Struct):
    phone: str
    code: str


class SessionCreated(msgspec.Struct):
    token: str
    expires_at: datetime


class DeviceSession(msgspec.Struct):
    """One device logged in to the caller's account."""

    id: int
    device: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


class Me(msgspec.Struct):
    masked_phone: str
    created_at: datetime
