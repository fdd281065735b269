"""Use cases of staff administration (SPEC §10): list accounts, create one, change its roles,
disable and enable it, reset its password or its second factor, lift a lockout.

The CLI (``healthcode staff ...``) and the administrators' pages call these same methods; ``actor``
is ``cli`` or ``staff:<id>``. Every change is audited as ``admin.staff.<action>`` with no secret in
the detail. New passwords and authenticator secrets are returned to be shown once and are never
stored in the clear. Two rules keep the back office administrable: an administrator cannot disable
their own account or remove their own administrator role, and no change may leave the platform
without an active administrator. Disabling an account, or giving it a new password or second factor,
ends all its sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.config import Settings
from healthcode.db.models import Site, StaffAccount, StaffSite
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.staff_auth import check_password_strength
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import PrincipalKind, SessionStore
from healthcode.staff.service import HASHER, ISSUER, NewStaff, StaffService, generate_password, parse_roles


@dataclass(frozen=True)
class AccountRow:
    """One account as the administrators' list shows it: its state and, for checkpoint staff,
    the site it works at."""

    account: StaffAccount
    locked: bool
    site: Site | None


@dataclass(frozen=True)
class NewAuthenticator:
    """A second factor just enrolled, shown to the administrator once."""

    account: StaffAccount
    secret: str
    provisioning_uri: str


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code or typed)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


class StaffAdminService(AuditedService):
    """Staff accounts as administrators manage them; the role check is the caller's (the pages
    check ``admin``, the CLI runs on the server)."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock):
        super().__init__(db, settings, clock)
        self.staff = StaffService(db, settings, clock)
        self.sealer = Sealer(settings.keyring)

    async def accounts(self) -> list[AccountRow]:
        """Every account by user name, with its lock state and site."""
        rows = await self.db.execute(
            select(StaffAccount, Site)
            .outerjoin(StaffSite, StaffSite.staff_id == StaffAccount.id)
            .outerjoin(Site, Site.id == StaffSite.site_id)
            .order_by(StaffAccount.username)
        )
        return [AccountRow(account, self._locked(account), site) for account, site in rows]

    async def account(self, staff_id: int) -> AccountRow:
        account = await self.staff.get(staff_id)
        site = await self.db.scalar(
            select(Site).join(StaffSite, StaffSite.site_id == Site.id).where(StaffSite.staff_id == account.id)
        )
        return AccountRow(account, self._locked(account), site)

    async def create(self, username: str, display_name: str, roles: list[str], *, actor: str) -> NewStaff:
        """A new account with a generated password and second factor (shown once)."""
        return await self.staff.create(username, display_name, roles, actor=actor)

    async def set_roles(self, staff_id: int, roles: list[str], *, actor: str) -> StaffAccount:
        """Replace the account's roles. Taking the checkpoint role away also unbinds it from its site."""
        account = await self._for_change(staff_id)
        parsed = [r.value for r in parse_roles(roles)]
        if Role.ADMIN.value in account.roles and Role.ADMIN.value not in parsed:
            if actor == f"staff:{account.id}":
                raise Conflict(
                    "admin_self_demote",
                    N_("You cannot remove your own administrator role. Ask another administrator."),
                    field="roles",
                )
            if account.active:
                await self._keep_an_admin(account, field="roles")
        before = list(account.roles)
        account.roles = parsed
        if Role.CHECKPOINT.value not in parsed and (binding := await self.db.get(StaffSite, account.id)):
            await self.db.delete(binding)
            await self.audit.record(actor, "admin.site.unbind", f"staff:{account.id}", site=binding.site_id)
        await self.audit.record(actor, "admin.staff.roles", f"staff:{account.id}", before=before, after=parsed)
        await self.db.commit()
        return account

    async def disable(self, staff_id: int, *, actor: str) -> StaffAccount:
        """The account can no longer sign in, and every session it has ends now."""
        account = await self._for_change(staff_id)
        if actor == f"staff:{account.id}":
            raise Conflict("admin_self_disable", N_("You cannot disable your own account. Ask another administrator."))
        if Role.ADMIN.value in account.roles and account.active:
            await self._keep_an_admin(account)
        account.active = False
        ended = await SessionStore(self.db, self.clock).revoke_all(PrincipalKind.STAFF, account.id)
        await self.audit.record(actor, "admin.staff.disable", f"staff:{account.id}", sessions_ended=ended)
        await self.db.commit()
        return account

    async def enable(self, staff_id: int, *, actor: str) -> StaffAccount:
        account = await self._for_change(staff_id)
        account.active = True
        await self.audit.record(actor, "admin.staff.enable", f"staff:{account.id}")
        await self.db.commit()
        return account

    async def reset_password(self, staff_id: int, *, actor: str) -> str:
        """A new generated password (returned, to be shown once); the lockout is lifted and the
        account's sessions end."""
        account = await self._for_change(staff_id)
        password = generate_password()
        check_password_strength(password, account.username)
        account.password_hash = HASHER.hash(password)
        account.failed_logins, account.locked_until = 0, None
        ended = await SessionStore(self.db, self.clock).revoke_all(PrincipalKind.STAFF, account.id)
        await self.audit.record(actor, "admin.staff.reset_password", f"staff:{account.id}", sessions_ended=ended)
        await self.db.commit()
        return password

    async def reset_authenticator(self, staff_id: int, *, actor: str) -> NewAuthenticator:
        """A new second-factor secret (the old authenticator stops working); sessions end."""
        account = await self._for_change(staff_id)
        secret = pyotp.random_base32()
        self.sealer.seal_text(account, "totp_secret_enc", secret)
        account.totp_last_step = 0
        ended = await SessionStore(self.db, self.clock).revoke_all(PrincipalKind.STAFF, account.id)
        await self.audit.record(actor, "admin.staff.reset_second_factor", f"staff:{account.id}", sessions_ended=ended)
        await self.db.commit()
        return NewAuthenticator(account, secret, provisioning_uri(secret, account.username))

    async def unlock(self, staff_id: int, *, actor: str) -> StaffAccount:
        account = await self.staff.get(staff_id)
        return await self.staff.unlock(account.username, actor=actor)

    async def id_of(self, username: str) -> int:
        """The id of the account called ``username`` (the CLI names accounts, the pages number them)."""
        return (await self.staff.by_username(username)).id

    def _locked(self, account: StaffAccount) -> bool:
        return account.locked_until is not None and account.locked_until > self.clock.now()

    async def _for_change(self, staff_id: int) -> StaffAccount:
        """The account, with every active account locked (PostgreSQL) so that two administrators
        changing each other at once cannot both pass the last-administrator check."""
        await self.db.execute(select(StaffAccount.id).where(StaffAccount.active.is_(True)).with_for_update())
        return await self.staff.get(staff_id)

    async def _keep_an_admin(self, leaving: StaffAccount, field: str | None = None) -> None:
        """Refuse when ``leaving`` is the last active administrator."""
        others = await self.db.scalars(
            select(StaffAccount).where(StaffAccount.active.is_(True), StaffAccount.id != leaving.id)
        )
        if not any(Role.ADMIN.value in other.roles for other in others):
            raise Conflict(
                "last_admin",
                N_("This is the last active administrator. Give another account the administrator role first."),
                field=field,
            )
