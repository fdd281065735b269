"""SMS login rules (SPEC §2): send limits, one-time codes, wrong-try limits.

Pure functions over what the store knows (how many codes this number had today, when the last
one went, how many this client address sent in the last hour). The service reads those facts,
asks here, and writes the outcome; the same rules therefore hold for the page, the API and tests.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from hashlib import sha256

from healthcode.domain.errors import InvalidInput, RateLimited, Unauthenticated
from healthcode.domain.i18n import N_

CODE_LENGTH = 6
IP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SmsLimits:
    """The configurable limits of §2 (settings ``HEALTHCODE_SMS_*``)."""

    daily_limit: int = 5
    resend_interval_s: int = 60
    ip_hourly_limit: int = 30
    code_ttl_s: int = 300
    max_attempts: int = 5


@dataclass(frozen=True)
class SendHistory:
    """What has been sent: to this number today, and from this client address in the last hour."""

    sent_today: int
    last_sent_at: datetime | None
    ip_sent_last_hour: int
    ip_oldest_in_window: datetime | None


@dataclass(frozen=True)
class SendQuota:
    """What the resident is told: sends left today and seconds until the next one is possible."""

    remaining_today: int
    resend_after_s: int


def _seconds_until(now: datetime, then: datetime) -> int:
    return max(0, math.ceil((then - now).total_seconds()))


def current_quota(history: SendHistory, limits: SmsLimits, now: datetime, day_end: datetime) -> SendQuota:
    """The number's quota as it stands (before any new send)."""
    remaining = max(0, limits.daily_limit - history.sent_today)
    if remaining == 0:
        return SendQuota(0, _seconds_until(now, day_end))
    wait = 0
    if history.last_sent_at is not None:
        wait = _seconds_until(now, history.last_sent_at + timedelta(seconds=limits.resend_interval_s))
    return SendQuota(remaining, wait)


def authorize_send(history: SendHistory, limits: SmsLimits, now: datetime, day_end: datetime) -> SendQuota:
    """Allow one more send and return the quota after it, or raise :class:`RateLimited`.

    Checked in the order a resident can act on: the daily limit (wait until tomorrow), the spacing
    between two sends (wait a minute), then the client address budget (shared networks).
    """
    before = current_quota(history, limits, now, day_end)
    if before.remaining_today == 0:
        raise RateLimited(
            "sms_daily_limit",
            N_(
                "This number has used all {daily_limit} codes for today. You can request a new code "
                "tomorrow; a code you have already received can still be used until it expires."
            ),
            field="phone",
            retry_after=before.resend_after_s,
            daily_limit=limits.daily_limit,
            remaining_today=0,
        )
    if before.resend_after_s > 0:
        raise RateLimited(
            "sms_too_soon",
            N_("A code was just sent. You can request another in {retry_after} seconds."),
            field="phone",
            retry_after=before.resend_after_s,
            remaining_today=before.remaining_today,
        )
    if history.ip_sent_last_hour >= limits.ip_hourly_limit:
        oldest = history.ip_oldest_in_window or now
        raise RateLimited(
            "sms_ip_limit",
            N_("Too many codes were requested from this network. Try again in {retry_after} seconds."),
            retry_after=max(1, _seconds_until(now, oldest + IP_WINDOW)),
            remaining_today=before.remaining_today,
        )
    remaining = before.remaining_today - 1
    wait = limits.resend_interval_s if remaining > 0 else _seconds_until(now, day_end)
    return SendQuota(remaining, wait)


def new_code() -> str:
    """A uniformly random 6-digit code."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def hash_code(key: bytes, phone: str, code: str) -> str:
    """Keyed hash of a code, so that a database reader cannot log in with stored codes."""
    return hmac.new(key, f"{phone}:{code}".encode(), sha256).hexdigest()


def parse_code(raw: str) -> str:
    """Accept the code as typed (spaces allowed); reject anything but six digits."""
    code = "".join((raw or "").split())
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise InvalidInput("sms_code_format", N_("The code is the 6 digits in the text message."), field="code")
    return code


class CodeVerdict(Enum):
    """Outcome of checking a submitted code against the latest challenge."""

    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    MISSING = "missing"


@dataclass(frozen=True)
class Challenge:
    """The latest code sent to a number, as stored."""

    code_hash: str
    expires_at: datetime
    attempts: int
    used: bool


def judge_code(challenge: Challenge | None, submitted_hash: str, limits: SmsLimits, now: datetime) -> CodeVerdict:
    """Decide a login attempt; the caller records a WRONG verdict as one more attempt."""
    if challenge is None or challenge.used:
        return CodeVerdict.MISSING
    if challenge.attempts >= limits.max_attempts:
        return CodeVerdict.EXHAUSTED
    if now >= challenge.expires_at:
        return CodeVerdict.EXPIRED
    if not hmac.compare_digest(challenge.code_hash, submitted_hash):
        return CodeVerdict.WRONG
    return CodeVerdict.OK


def verdict_error(verdict: CodeVerdict, attempts_left: int, limits: SmsLimits) -> Unauthenticated:
    """The error a resident sees for a failed verdict: each says what to do next."""
    if verdict is CodeVerdict.WRONG and attempts_left > 0:
        return Unauthenticated(
            "sms_code_wrong",
            N_("The code is wrong. Check the latest text message; {attempts_left} tries left."),
            field="code",
            attempts_left=attempts_left,
        )
    if verdict in (CodeVerdict.WRONG, CodeVerdict.EXHAUSTED):
        return Unauthenticated(
            "sms_code_exhausted",
            N_("Too many wrong codes. Request a new code."),
            field="code",
            attempts_left=0,
        )
    if verdict is CodeVerdict.EXPIRED:
        return Unauthenticated(
            "sms_code_expired",
            N_("The code has expired (codes last {minutes} minutes). Request a new code."),
            field="code",
            minutes=max(1, limits.code_ttl_s // 60),
        )
    return Unauthenticated("sms_code_missing", N_("Request a code for this number first."), field="code")
