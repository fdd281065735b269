"""Staff passwords and lockout."""

from datetime import UTC, datetime, timedelta

import pytest

from healthcode.domain.errors import InvalidInput, Unauthenticated
from healthcode.domain.staff_auth import (
    LockoutPolicy,
    LoginState,
    after_failure,
    check_password_strength,
    ensure_not_locked,
    failure_error,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "password",
    ["short-A1", "alllowercaseletters", "ALLUPPER12345", "wang.reviewer-A1x", "123456789012"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_password_strength(password, "wang.reviewer")
    assert caught.value.code == "password_weak"


def test_strong_password_passes() -> None:
    check_password_strength("Correct-Horse-9", "wang")


def test_lock_after_threshold_and_release_after_time() -> None:
    policy = LockoutPolicy(threshold=3, lock_minutes=15)
    state = LoginState(0, None)
    for _ in range(2):
        state = after_failure(state, policy, NOW)
        ensure_not_locked(state, NOW)
    state = after_failure(state, policy, NOW)
    assert state.locked_until == NOW + timedelta(minutes=15)
    with pytest.raises(Unauthenticated) as caught:
        ensure_not_locked(state, NOW + timedelta(minutes=14))
    assert caught.value.code == "staff_locked"
    assert caught.value.params["minutes"] == 2
    ensure_not_locked(state, NOW + timedelta(minutes=15))


def test_failure_error_does_not_say_which_part_was_wrong() -> None:
    error = failure_error(LoginState(1, None), NOW)
    assert error.code == "staff_credentials_wrong"
    locked = failure_error(LoginState(0, NOW + timedelta(minutes=15)), NOW)
    assert locked.code == "staff_locked"
