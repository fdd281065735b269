"""``healthcode sites``: checkpoint sites and the checkpoint accounts bound to them (SPEC §8); the
administrators' page ``/staff/admin/sites`` calls the same service."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.cli.runtime import CLOCK, console, with_db
from healthcode.config import Settings

app = typer.Typer(help="Checkpoint sites.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Name of the site, e.g. 新华广场东门"),
    region: str = typer.Option(..., help="GB/T 2260 region code of the site, e.g. 150102"),
    temperature_required: bool = typer.Option(
        False, "--temperature-required", help="Nobody is let through at this site without a temperature taken"
    ),
) -> None:
    """Create a checkpoint site; prints its id."""

    async def work(db: AsyncSession, config: Settings) -> None:
        site = await SiteService(db, config, CLOCK).create(name, region, temperature_required=temperature_required)
        taken = ", temperature required" if site.temperature_required else ""
        console.print(f"created site {site.id}: {site.name} ({site.region_code}){taken}", markup=False)

    with_db(work)


@app.command("bind")
def bind(username: str, site_id: int) -> None:
    """Bind a checkpoint account to a site (binding again moves it)."""

    async def work(db: AsyncSession, config: Settings) -> None:
        await SiteService(db, config, CLOCK).bind(username, site_id)
        console.print(f"bound {username} to site {site_id}", markup=False)

    with_db(work)


@app.command("unbind")
def unbind(username: str) -> None:
    """The checkpoint account no longer works at any site."""

    async def work(db: AsyncSession, config: Settings) -> None:
        await SiteService(db, config, CLOCK).unbind(username)
        console.print(f"unbound {username}", markup=False)

    with_db(work)


@app.command("edit")
def edit(
    site_id: int,
    name: str = typer.Option(None, help="New name"),
    region: str = typer.Option(None, help="New GB/T 2260 region code"),
    temperature_required: bool = typer.Option(
        None, "--temperature-required/--temperature-optional", help="Whether a temperature must be taken"
    ),
) -> None:
    """Change a site's name, region or temperature rule; what is not given stays."""

    async def work(db: AsyncSession, config: Settings) -> None:
        sites = SiteService(db, config, CLOCK)
        site = await sites.get(site_id)
        required = site.temperature_required if temperature_required is None else temperature_required
        site = await sites.update(site_id, name or site.name, region or site.region_code, temperature_required=required)
        console.print(f"site {site.id}: {site.name} ({site.region_code})", markup=False)

    with_db(work)


@app.command("list")
def list_sites() -> None:
    """All checkpoint sites."""

    async def work(db: AsyncSession, config: Settings) -> None:
        table = Table("id", "name", "region", "temperature")
        for site in await SiteService(db, config, CLOCK).all():
            table.add_row(str(site.id), site.name, site.region_code, "required" if site.temperature_required else "")
        console.print(table)

    with_db(work)
