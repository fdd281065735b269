"""Use cases of staff accounts: create, sign in (password + TOTP, with lockout), unlock, list."""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.config import Settings
from healthcode.db.models import AuthSession, StaffAccount
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.staff_auth import (
    LoginState,
    after_failure,
    check_password_strength,
    ensure_not_locked,
    failure_error,
)
from healthcode.i18n import translate
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal, PrincipalKind, SessionStore

HASHER = PasswordHasher()
_DUMMY_HASH = HASHER.hash("not a password of anyone")
ISSUER = "HealthCode"


@dataclass(frozen=True)
class NewStaff:
    """A created account with the secrets shown to the administrator once."""

    account: StaffAccount
    password: str
    totp_secret: str
    provisioning_uri: str


@dataclass(frozen=True)
class StaffSignedIn:
    token: str
    session: AuthSession
    account: StaffAccount


def staff_not_signed_in() -> Unauthenticated:
    return Unauthenticated("staff_unauthenticated", N_("Sign in to the back office first."))


def parse_roles(values: list[str]) -> list[Role]:
    """Roles by name; an unknown name is an error that lists the known ones."""
    roles: list[Role] = []
    for value in values:
        try:
            roles.append(Role(value.strip().lower()))
        except ValueError:
            raise InvalidInput(
                "role_unknown",
                N_("Unknown role {role}; use one of: {known}."),
                field="roles",
                role=value,
                known=", ".join(r.value for r in Role),
            ) from None
    if not roles:
        raise InvalidInput("role_required", N_("Give the account at least one role."), field="roles")
    return sorted(set(roles))


def generate_password() -> str:
    """A random password that passes the strength rule, for accounts created without one."""
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


class StaffService(AuditedService):
    """Staff accounts. Every sign-in, failure, lockout and account change goes to the audit trail."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        super().__init__(db, settings, clock)
        self.sealer = Sealer(settings.keyring)

    async def create(
        self,
        username: str,
        display_name: str,
        roles: list[str],
        *,
        password: str | None = None,
        totp_secret: str | None = None,
        actor: str = "cli",
    ) -> NewStaff:
        """Create an account; a password and TOTP secret are generated when not given."""
        username = username.strip().lower()
        if not username or not all(c.isalnum() or c in "._-" for c in username) or len(username) > 64:
            raise InvalidInput(
                "username_invalid", N_("User names use letters, digits, dot, dash or underscore."), field="username"
            )
        parsed = parse_roles(roles)
        password = password or generate_password()
        check_password_strength(password, username)
        secret = totp_secret or pyotp.random_base32()
        account = StaffAccount(
            username=username,
            display_name=display_name.strip() or username,
            password_hash=HASHER.hash(password),
            totp_secret_enc=b"",
            roles=[r.value for r in parsed],
            active=True,
            failed_logins=0,
            created_at=self.clock.now(),
        )
        self.db.add(account)
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise Conflict("username_taken", N_("This user name is taken."), field="username") from None
        self.sealer.seal_text(account, "totp_secret_enc", secret)
        await self.audit.record(actor, "admin.staff.create", f"staff:{account.id}", roles=account.roles)
        await self.db.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
        return NewStaff(account, password, secret, uri)

    async def sign_in(
        self, username: str, password: str, totp_code: str, *, device: str = "", client_ip: str = ""
    ) -> StaffSignedIn:
        """Password and current TOTP code; the same error for any wrong part; lockout after
        ``staff_lockout_threshold`` consecutive failures."""
        now = self.clock.now()
        account = await self.db.scalar(
            select(StaffAccount).where(StaffAccount.username == username.strip().lower()).with_for_update()
        )
        if account is None or not account.active:
            _verify(_DUMMY_HASH, password)  # spend the same time as a real check
            raise failure_error(LoginState(0, None), now)
        state = LoginState(account.failed_logins, account.locked_until)
        ensure_not_locked(state, now)
        step = _totp_step(self.sealer.open_text(account, "totp_secret_enc"), totp_code, now)
        fresh_code = step is not None and step > account.totp_last_step
        if not (_verify(account.password_hash, password) and fresh_code):
            state = after_failure(state, self.settings.lockout, now)
            account.failed_logins, account.locked_until = state.failed_logins, state.locked_until
            action = "staff.locked" if state.locked_until else "staff.sign_in_failed"
            await self.audit.record(f"staff:{account.id}", action, f"staff:{account.id}", client_ip=client_ip)
            await self.db.commit()
            raise failure_error(state, now)
        account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
        account.totp_last_step = step or 0
        token, session = await SessionStore(self.db, self.clock).open(
            PrincipalKind.STAFF,
            account.id,
            timedelta(hours=self.settings.staff_session_ttl_hours),
            device=device,
            client_ip=client_ip,
        )
        await self.audit.record(f"staff:{account.id}", "staff.sign_in", f"staff:{account.id}", client_ip=client_ip)
        await self.db.commit()
        return StaffSignedIn(token, session, account)

    async def authorize(self, principal: Principal | None, role: Role, *or_roles: Role) -> StaffAccount:
        """The signed-in staff account if it holds ``role`` (or one of ``or_roles``); pages turn
        the 401 into the sign-in page, the 403 names every role that would do. Administrators do
        not hold other roles implicitly: each duty is granted."""
        if principal is None:
            raise staff_not_signed_in()
        account = await self.db.get(StaffAccount, principal.id)
        if account is None or not account.active:
            raise staff_not_signed_in()
        wanted = (role, *or_roles)
        if not any(each.value in account.roles for each in wanted):
            names = " / ".join(translate(each.label) for each in wanted)
            raise Forbidden("staff_role_missing", N_("This page needs the role: {role}."), role=names)
        return account

    async def get(self, staff_id: int) -> StaffAccount:
        account = await self.db.get(StaffAccount, staff_id)
        if account is None:
            raise NotFound("staff_not_found", N_("No such staff account."))
        return account

    async def by_username(self, username: str) -> StaffAccount:
        account = await self.db.scalar(select(StaffAccount).where(StaffAccount.username == username.strip().lower()))
        if account is None:
            raise NotFound("staff_not_found", N_("No such staff account."), field="username")
        return account

    async def authenticator_secret(self, username: str) -> str:
        """The account's TOTP secret (for the development CLI's current-code helper)."""
        return self.sealer.open_text(await self.by_username(username), "totp_secret_enc")

    async def unlock(self, username: str, *, actor: str = "cli") -> StaffAccount:
        """Clear a lockout and the failure count."""
        account = await self.by_username(username)
        account.failed_logins, account.locked_until = 0, None
        await self.audit.record(actor, "admin.staff.unlock", f"staff:{account.id}")
        await self.db.commit()
        return account

    async def all(self) -> list[StaffAccount]:
        return list(await self.db.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code was typed, allowing one step of clock drift either way."""
    totp = pyotp.TOTP(secret)
    typed = "".join(code.split())
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
