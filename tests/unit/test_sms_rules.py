"""SPEC §2: the send limits and the one-time code rules, as pure functions."""

from datetime import UTC, datetime, timedelta

import pytest

from healthcode.domain import sms
from healthcode.domain.errors import InvalidInput, RateLimited

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
DAY_END = NOW + timedelta(hours=14)
LIMITS = sms.SmsLimits(daily_limit=5, resend_interval_s=60, ip_hourly_limit=30, code_ttl_s=300, max_attempts=5)


def history(
    sent_today: int = 0, last_ago: int | None = None, ip_sent: int = 0, ip_oldest_ago: int = 0
) -> sms.SendHistory:
    last = NOW - timedelta(seconds=last_ago) if last_ago is not None else None
    return sms.SendHistory(sent_today, last, ip_sent, NOW - timedelta(seconds=ip_oldest_ago) if ip_sent else None)


def test_first_send_leaves_four_and_a_minute_to_wait() -> None:
    quota = sms.authorize_send(history(), LIMITS, NOW, DAY_END)
    assert quota == sms.SendQuota(remaining_today=4, resend_after_s=60)


def test_last_send_of_the_day_says_wait_until_tomorrow() -> None:
    quota = sms.authorize_send(history(sent_today=4, last_ago=120), LIMITS, NOW, DAY_END)
    assert quota == sms.SendQuota(remaining_today=0, resend_after_s=14 * 3600)


@pytest.mark.parametrize(
    ("facts", "code", "retry_after"),
    [
        (history(sent_today=5, last_ago=600), "sms_daily_limit", 14 * 3600),
        (history(sent_today=1, last_ago=20), "sms_too_soon", 40),
        (history(sent_today=1, last_ago=60, ip_sent=30, ip_oldest_ago=3000), "sms_ip_limit", 600),
        # the daily limit is reported before spacing, spacing before the address budget
        (history(sent_today=5, last_ago=1, ip_sent=30, ip_oldest_ago=10), "sms_daily_limit", 14 * 3600),
        (history(sent_today=2, last_ago=1, ip_sent=30, ip_oldest_ago=10), "sms_too_soon", 59),
    ],
)
def test_limits_say_which_and_when(facts: sms.SendHistory, code: str, retry_after: int) -> None:
    with pytest.raises(RateLimited) as caught:
        sms.authorize_send(facts, LIMITS, NOW, DAY_END)
    assert caught.value.code == code
    assert caught.value.retry_after == retry_after
    assert "remaining_today" in caught.value.params


def test_current_quota_without_sending() -> None:
    assert sms.current_quota(history(sent_today=2, last_ago=15), LIMITS, NOW, DAY_END) == sms.SendQuota(3, 45)
    assert sms.current_quota(history(), LIMITS, NOW, DAY_END) == sms.SendQuota(5, 0)


def test_codes_are_six_random_digits() -> None:
    codes = {sms.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_hash_depends_on_key_phone_and_code() -> None:
    h = sms.hash_code(b"k", "13800138000", "123456")
    assert h != sms.hash_code(b"other", "13800138000", "123456")
    assert h != sms.hash_code(b"k", "13900139000", "123456")
    assert h != sms.hash_code(b"k", "13800138000", "123457")


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", ""])
def test_code_format(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sms.parse_code(typed)
    assert caught.value.code == "sms_code_format"


def test_code_with_spaces_is_accepted() -> None:
    assert sms.parse_code(" 123 456 ") == "123456"


def challenge(attempts: int = 0, expires_in: int = 300, used: bool = False) -> sms.Challenge:
    return sms.Challenge(sms.hash_code(b"k", "p", "111111"), NOW + timedelta(seconds=expires_in), attempts, used)


@pytest.mark.parametrize(
    ("stored", "typed", "verdict"),
    [
        (challenge(), "111111", sms.CodeVerdict.OK),
        (challenge(), "222222", sms.CodeVerdict.WRONG),
        (challenge(expires_in=0), "111111", sms.CodeVerdict.EXPIRED),
        (challenge(attempts=5), "111111", sms.CodeVerdict.EXHAUSTED),
        (challenge(used=True), "111111", sms.CodeVerdict.MISSING),
        (None, "111111", sms.CodeVerdict.MISSING),
    ],
)
def test_judge_code(stored: sms.Challenge | None, typed: str, verdict: sms.CodeVerdict) -> None:
    assert sms.judge_code(stored, sms.hash_code(b"k", "p", typed), LIMITS, NOW) is verdict


@pytest.mark.parametrize(
    ("verdict", "left", "code"),
    [
        (sms.CodeVerdict.WRONG, 3, "sms_code_wrong"),
        (sms.CodeVerdict.WRONG, 0, "sms_code_exhausted"),
        (sms.CodeVerdict.EXHAUSTED, 0, "sms_code_exhausted"),
        (sms.CodeVerdict.EXPIRED, 0, "sms_code_expired"),
        (sms.CodeVerdict.MISSING, 0, "sms_code_missing"),
    ],
)
def test_each_failure_has_its_own_code(verdict: sms.CodeVerdict, left: int, code: str) -> None:
    error = sms.verdict_error(verdict, left, LIMITS)
    assert error.code == code
    assert error.field == "code"
    if code == "sms_code_wrong":
        assert error.params["attempts_left"] == 3
