"""Checkpoint sites and who works where (SPEC §8): the administration the CLI (``healthcode sites``)
and the administrators' pages share. A checkpoint account works at one site at a time; binding it
again moves it. Every change is audited as ``admin.site.<action>``."""

from __future__ import annotations

from sqlalchemy import select

from healthcode.audit.service import AuditedService
from healthcode.db.models import Site, StaffAccount, StaffSite
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.gb11643 import is_region_code
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.staff.service import StaffService


def _site_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > 100:
        raise InvalidInput("site_name_invalid", N_("Give the site a name of at most 100 characters."), field="name")
    return name


def _site_region(raw: str) -> str:
    """A GB/T 2260 code the region table knows (six digits alone are not enough: 159999 is none)."""
    code = raw.strip()
    if not is_region_code(code):
        raise InvalidInput(
            "region_code_invalid",
            N_("The region code is the six-digit GB/T 2260 code of a district, such as 150102."),
            field="region",
        )
    return code


class SiteService(AuditedService):
    """Sites and the accounts bound to them (administration: the CLI and the administrators' pages;
    ``actor`` is ``cli`` or ``staff:<id>``)."""

    async def create(
        self, name: str, region_code: str, *, temperature_required: bool = False, actor: str = "cli"
    ) -> Site:
        """A new site; ``temperature_required``: nobody is let through there without a temperature."""
        name, region_code = _site_name(name), _site_region(region_code)
        site = Site(
            name=name, region_code=region_code, temperature_required=temperature_required, created_at=self.clock.now()
        )
        self.db.add(site)
        await self.db.flush()
        await self.audit.record(
            actor,
            "admin.site.create",
            f"site:{site.id}",
            name=name,
            region_code=region_code,
            temperature_required=temperature_required,
        )
        await self.db.commit()
        return site

    async def update(
        self, site_id: int, name: str, region_code: str, *, temperature_required: bool, actor: str = "cli"
    ) -> Site:
        """Rename a site, correct its region, or change whether it takes temperatures; the audit
        detail names what changed."""
        site = await self.get(site_id)
        name, region_code = _site_name(name), _site_region(region_code)
        changed = {
            field: value
            for field, value in (
                ("name", name),
                ("region_code", region_code),
                ("temperature_required", temperature_required),
            )
            if getattr(site, field) != value
        }
        for field, value in changed.items():
            setattr(site, field, value)
        if changed:
            await self.audit.record(actor, "admin.site.edit", f"site:{site.id}", **changed)
        await self.db.commit()
        return site

    async def get(self, site_id: int) -> Site:
        site = await self.db.get(Site, site_id)
        if site is None:
            raise NotFound("site_not_found", N_("No such checkpoint site."), field="site_id")
        return site

    async def bind(self, username: str, site_id: int, *, actor: str = "cli") -> StaffSite:
        """Bind a checkpoint account to a site; binding again moves it to the new site."""
        account = await StaffService(self.db, self.settings, self.clock).by_username(username)
        if Role.CHECKPOINT.value not in account.roles:
            raise InvalidInput(
                "staff_not_checkpoint", N_("Only checkpoint accounts can be bound to a site."), field="username"
            )
        await self.get(site_id)
        binding = await self.db.get(StaffSite, account.id)
        if binding is None:
            binding = StaffSite(staff_id=account.id, site_id=site_id, bound_at=self.clock.now())
            self.db.add(binding)
        else:
            binding.site_id, binding.bound_at = site_id, self.clock.now()
        await self.audit.record(actor, "admin.site.bind", f"staff:{account.id}", site=site_id)
        await self.db.commit()
        return binding

    async def unbind(self, username: str, *, actor: str = "cli") -> None:
        """The account no longer works at any site (its desk says so until it is bound again)."""
        account = await StaffService(self.db, self.settings, self.clock).by_username(username)
        binding = await self.db.get(StaffSite, account.id)
        if binding is None:
            raise NotFound("staff_not_bound", N_("This account is not bound to a site."), field="username")
        await self.db.delete(binding)
        await self.audit.record(actor, "admin.site.unbind", f"staff:{account.id}", site=binding.site_id)
        await self.db.commit()

    async def staffing(self) -> list[tuple[StaffAccount, int | None]]:
        """Every checkpoint account, by user name, with the id of the site it works at (or None)."""
        rows = await self.db.execute(
            select(StaffAccount, StaffSite.site_id)
            .outerjoin(StaffSite, StaffSite.staff_id == StaffAccount.id)
            .order_by(StaffAccount.username)
        )
        return [(account, site_id) for account, site_id in rows if Role.CHECKPOINT.value in account.roles]

    async def ensure_bound(
        self, username: str, name: str, region_code: str, *, temperature_required: bool = False, actor: str = "demo"
    ) -> Site:
        """Bind ``username`` to the site called ``name`` (created when missing) unless the account is
        bound already; for ``healthcode demo``, safe to run again."""
        account = await StaffService(self.db, self.settings, self.clock).by_username(username)
        bound = await self.db.get(StaffSite, account.id)
        if bound is not None and (site := await self.db.get(Site, bound.site_id)) is not None:
            return site
        site = await self.db.scalar(select(Site).where(Site.name == name).order_by(Site.id).limit(1))
        if site is None:
            site = await self.create(name, region_code, temperature_required=temperature_required, actor=actor)
        await self.bind(username, site.id, actor=actor)
        return site

    async def all(self) -> list[Site]:
        return list(await self.db.scalars(select(Site).order_by(Site.id)))
