"""Staff sign-in rules (SPEC §10): password strength and lockout after failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from healthcode.domain.errors import InvalidInput, Unauthenticated
from healthcode.domain.i18n import N_

MIN_PASSWORD_LENGTH = 12


def check_password_strength(password: str, username: str) -> None:
    """Raise ``password_weak`` unless the password is long, varied and not the username."""
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if len(password) < MIN_PASSWORD_LENGTH or classes < 3 or username.lower() in password.lower():
        raise InvalidInput(
            "password_weak",
            N_(
                "Use at least {min_length} characters with three of: lower case, upper case, "
                "digits, symbols; do not include the user name."
            ),
            field="password",
            min_length=MIN_PASSWORD_LENGTH,
        )


@dataclass(frozen=True)
class LockoutPolicy:
    """Lock an account for ``lock_minutes`` after ``threshold`` consecutive failures."""

    threshold: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class LoginState:
    """The counters stored on a staff account."""

    failed_logins: int
    locked_until: datetime | None


def _locked_error(locked_until: datetime, now: datetime) -> Unauthenticated:
    minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
    return Unauthenticated(
        "staff_locked",
        N_("Too many failed sign-ins. The account is locked for {minutes} more minutes, or ask an administrator."),
        minutes=minutes,
    )


def ensure_not_locked(state: LoginState, now: datetime) -> None:
    """Refuse any attempt, right or wrong, while the account is locked."""
    if state.locked_until is not None and now < state.locked_until:
        raise _locked_error(state.locked_until, now)


def after_failure(state: LoginState, policy: LockoutPolicy, now: datetime) -> LoginState:
    """Count one more failure; lock once the threshold is reached."""
    failed = state.failed_logins + 1
    if failed >= policy.threshold:
        return LoginState(0, now + timedelta(minutes=policy.lock_minutes))
    return LoginState(failed, None)


def failure_error(state: LoginState, now: datetime) -> Unauthenticated:
    """The one message for any wrong credential, so a guesser learns nothing about which part."""
    if state.locked_until is not None and now < state.locked_until:
        return _locked_error(state.locked_until, now)
    return Unauthenticated(
        "staff_credentials_wrong", N_("User name, password or authenticator code is wrong."), field="password"
    )
