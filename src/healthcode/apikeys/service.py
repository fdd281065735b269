"""Staff API keys: made (shown once), listed, revoked, and checked on every staff API call.

The CLI (``healthcode staff api-key``) and the administrators' page (``/staff/api-keys``) make,
list and revoke keys through :class:`ApiKeyService`; the staff API's guard
(:func:`healthcode.apikeys.api.staff_api_key`) calls :meth:`ApiKeyService.authenticate`. Every
call a key makes is audited under its account (``staff:ID``, with the key id), and so is every
refused call of a proved key (revoked, account locked or disabled, scope or role missing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from healthcode.audit.service import AuditedService
from healthcode.db.models import StaffAccount, StaffApiKey
from healthcode.domain.api_keys import (
    Scope,
    check_key,
    ensure_roles_allow,
    key_refused,
    new_key,
    parse_scopes,
    secret_matches,
    split_key,
)
from healthcode.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.sessions.service import Principal, PrincipalKind
from healthcode.staff.service import StaffService

LABEL_CHARS = 100
_DUMMY = new_key()


@dataclass(frozen=True)
class MadeKey:
    """A new key's row and the whole key, which is shown this once and never again."""

    row: StaffApiKey
    key: str


@dataclass(frozen=True)
class ApiCaller:
    """Who a staff API call comes from: the key and its account, checked for the call's scope."""

    key: StaffApiKey
    account: StaffAccount

    @property
    def actor(self) -> str:
        """The audit actor of the call: the account (the key id goes in the detail)."""
        return f"staff:{self.account.id}"

    @property
    def principal(self) -> Principal:
        """The account as a staff principal, for services that check a role themselves (the key's
        own checks are made already; there is no session behind it: ``session_id`` 0)."""
        return Principal(PrincipalKind.STAFF, self.account.id, 0)


class ApiKeyService(AuditedService):
    """Keys of staff accounts; ``actor`` is who acts (``cli`` or ``staff:ID``)."""

    async def admin(self, principal: Principal | None) -> StaffAccount:
        """The signed-in administrator (the page's calls)."""
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.ADMIN)

    async def create(self, username: str, scopes: list[str], label: str = "", *, actor: str = "cli") -> MadeKey:
        """A new key of the account ``username`` for ``scopes``, each of which the account's roles
        must allow. Returns the whole key: it is not kept and cannot be shown again."""
        account = await StaffService(self.db, self.settings, self.clock).by_username(username)
        parsed = parse_scopes(scopes)
        ensure_roles_allow(parsed, account.roles)
        label = " ".join(label.split())
        if len(label) > LABEL_CHARS:
            raise InvalidInput(
                "api_key_label_too_long", N_("Keep the label to {limit} characters."), field="label", limit=LABEL_CHARS
            )
        made = new_key()
        row = StaffApiKey(
            key_id=made.key_id,
            staff_id=account.id,
            label=label,
            scopes=[scope.value for scope in parsed],
            secret_hash=made.secret_hash,
            created_at=self.clock.now(),
            created_by=actor,
        )
        self.db.add(row)
        await self.db.flush()
        await self.audit.record(
            actor, "api_key.create", f"staff:{account.id}", key=row.key_id, scopes=row.scopes, label=label
        )
        await self.db.commit()
        return MadeKey(row, made.key)

    async def of_account(self, username: str) -> tuple[StaffAccount, list[StaffApiKey]]:
        """The account and its keys, revoked ones too, newest first."""
        account = await StaffService(self.db, self.settings, self.clock).by_username(username)
        keys = await self.db.scalars(
            select(StaffApiKey).where(StaffApiKey.staff_id == account.id).order_by(StaffApiKey.id.desc())
        )
        return account, list(keys)

    async def revoke(self, key_id: str, *, actor: str = "cli") -> StaffApiKey:
        """Revoke a key by its id: it stops working at once, on every server (nothing is cached)."""
        row = await self.db.scalar(select(StaffApiKey).where(StaffApiKey.key_id == key_id.strip().lower()))
        if row is None:
            raise NotFound("api_key_not_found", N_("There is no staff API key with this id."), field="key_id")
        if row.revoked_at is not None:
            raise Conflict("api_key_already_revoked", N_("This key has been revoked already."), field="key_id")
        row.revoked_at, row.revoked_by = self.clock.now(), actor
        await self.audit.record(actor, "api_key.revoke", f"staff:{row.staff_id}", key=row.key_id)
        await self.db.commit()
        return row

    async def authenticate(self, key: str, needed: Scope | None, call: str) -> ApiCaller:
        """The caller of a staff API call with ``key`` that needs the scope ``needed`` (None: any),
        audited under the account as ``staff_api.call`` (or ``staff_api.refused`` with the error's
        code) with the key id and ``call`` (``POST /api/v1/...``). Commits.

        One indexed read of the key and one of its account; a key that is malformed, unknown or
        has a wrong secret is refused the same way, in the same time, and is not audited (no
        account is known)."""
        if not key:
            raise key_refused("api_key_required")
        parts = split_key(key)
        row = await self.db.scalar(select(StaffApiKey).where(StaffApiKey.key_id == parts[0])) if parts else None
        proved = secret_matches((row or _DUMMY).secret_hash, parts[1] if parts else "")
        if row is None or not proved:
            raise key_refused("api_key_invalid")
        account = await self.db.get(StaffAccount, row.staff_id)
        if account is None:
            raise key_refused("api_key_invalid")
        now = self.clock.now()
        try:
            check_key(
                revoked_at=row.revoked_at,
                active=account.active,
                locked_until=account.locked_until,
                roles=account.roles,
                scopes=row.scopes,
                needed=needed,
                now=now,
            )
        except DomainError as refused:
            actor = f"staff:{account.id}"
            await self.audit.record(actor, "staff_api.refused", actor, key=row.key_id, call=call, code=refused.code)
            await self.db.commit()
            raise
        row.last_used_at = now
        actor = f"staff:{account.id}"
        await self.audit.record(actor, "staff_api.call", actor, key=row.key_id, call=call)
        await self.db.commit()
        return ApiCaller(row, account)
