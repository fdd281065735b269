"""Signing keys and trusted issuers for administrators: what ``healthcode keys`` does, with the
same guards (:class:`~healthcode.codes.keys.KeyService`, :class:`~healthcode.codes.issuers.TrustedIssuers`),
by a signed-in account holding the ``admin`` role, recorded in the audit log as ``staff:{id}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.codes.issuers import StoredIssuer, TrustedIssuers
from healthcode.codes.keys import ACTIVE, NEXT, PUBLISH_AHEAD_S, KeyService, KeyStateError
from healthcode.codes.memory import KeyMemory
from healthcode.codes.trust import TrustList, TrustListError
from healthcode.config import Settings
from healthcode.db.models import SigningKeyRecord, StaffAccount, TrustedListRecord
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

# KeyStateError's cases, as an administrator reads them on the page.
KEY_REFUSALS = {
    "key_active": N_("A key is active already: rotate it instead."),
    "no_active_key": N_("No key is active: generate the first one."),
    "key_prepared": N_("The next key is prepared already: rotating makes it active."),
    "no_such_key": N_("There is no such signing key."),
    "key_retired": N_("This key is retired already."),
    "keys_changed": N_("Another key change happened at the same time; look at the list and try again."),
}


@dataclass(frozen=True)
class KeyRow:
    """A key as the page lists it."""

    record: SigningKeyRecord
    trusted_until: datetime | None
    published: bool


@dataclass(frozen=True)
class KeysView:
    rows: list[KeyRow]
    active: SigningKeyRecord | None
    prepared: SigningKeyRecord | None
    ready_at: datetime | None
    """When the prepared key has been published long enough for other regions to know it."""


@dataclass(frozen=True)
class IssuersView:
    configured: list[TrustList]
    configured_problem: str | None
    stored: list[StoredIssuer]
    names: dict[str, str]
    """Display names of the staff actors who added lists (``staff:{id}``)."""


def refused(error: KeyStateError) -> DomainError:
    return Conflict(error.code, KEY_REFUSALS.get(error.code, N_("This key change is not possible now.")))


class KeyAdmin(AuditedService):
    """Key and trust changes on behalf of an administrator; every change is audited by the
    services it calls (``keys.*``, ``issuers.*``). ``memory`` is the app's, so that this server
    signs, verifies and publishes with a change at once (others within their refresh)."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, memory: KeyMemory):
        super().__init__(db, settings, clock)
        self.memory = memory

    async def _actor(self, principal: Principal | None) -> str:
        admin = await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.ADMIN)
        return f"staff:{admin.id}"

    async def keys(self, principal: Principal | None) -> KeysView:
        await self._actor(principal)
        service = KeyService(self.db, self.settings, self.clock, self.memory)
        now = self.clock.now()
        rows = []
        for record in await service.all():
            until = service.trusted_until(record)
            rows.append(KeyRow(record, until, until is None or until >= now))
        active = next((r.record for r in rows if r.record.status == ACTIVE), None)
        prepared = next((r.record for r in rows if r.record.status == NEXT), None)
        ready_at = None
        if prepared is not None and not service.published_long_enough(prepared):
            ready_at = prepared.created_at + timedelta(seconds=PUBLISH_AHEAD_S)
        rows.reverse()  # newest first
        return KeysView(rows, active, prepared, ready_at)

    async def generate(self, principal: Principal | None) -> SigningKeyRecord:
        actor = await self._actor(principal)
        try:
            return await KeyService(self.db, self.settings, self.clock, self.memory).generate(actor)
        except KeyStateError as error:
            raise refused(error) from None

    async def prepare(self, principal: Principal | None) -> SigningKeyRecord:
        actor = await self._actor(principal)
        try:
            return await KeyService(self.db, self.settings, self.clock, self.memory).prepare(actor)
        except KeyStateError as error:
            raise refused(error) from None

    async def rotate(self, principal: Principal | None) -> tuple[SigningKeyRecord, SigningKeyRecord, bool]:
        """Rotate; also says whether the new key had been published long enough."""
        actor = await self._actor(principal)
        service = KeyService(self.db, self.settings, self.clock, self.memory)
        try:
            old, new = await service.rotate(actor)
        except KeyStateError as error:
            raise refused(error) from None
        return old, new, service.published_long_enough(new)

    async def retire(self, principal: Principal | None, kid: str, confirmed: bool) -> SigningKeyRecord:
        actor = await self._actor(principal)
        if not confirmed:
            raise InvalidInput(
                "key_retire_unconfirmed",
                N_("Confirm that no code can be issued until a new key is generated."),
                field="confirm",
            )
        try:
            return await KeyService(self.db, self.settings, self.clock, self.memory).retire(kid, actor)
        except KeyStateError as error:
            raise refused(error) from None

    # --- trusted issuers ----------------------------------------------------------------------------

    async def issuers(self, principal: Principal | None) -> IssuersView:
        """The lists configured by file (or why they cannot be read), and the stored ones."""
        await self._actor(principal)
        issuers = TrustedIssuers(self.db, self.settings, self.clock, self.memory)
        try:
            configured, problem = list(issuers.configured()), None
        except TrustListError as error:
            configured, problem = [], str(error)
        stored = await issuers.all()
        ids = {int(s.record.added_by[6:]) for s in stored if s.record.added_by[6:].isdigit()}
        rows = await self.db.execute(select(StaffAccount.id, StaffAccount.display_name).where(StaffAccount.id.in_(ids)))
        names = {f"staff:{staff_id}": name for staff_id, name in rows.all()}
        return IssuersView(configured, problem, stored, names)

    async def add_issuer(
        self, principal: Principal | None, content: bytes, filename: str
    ) -> tuple[TrustedListRecord, bool]:
        actor = await self._actor(principal)
        return await TrustedIssuers(self.db, self.settings, self.clock, self.memory).add(content, filename, actor)

    async def remove_issuer(self, principal: Principal | None, issuer: str) -> None:
        actor = await self._actor(principal)
        await TrustedIssuers(self.db, self.settings, self.clock, self.memory).remove(issuer, actor)
