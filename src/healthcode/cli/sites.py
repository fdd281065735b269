"""``healthcode sites``: checkpoint sites and the checkpoint accounts bound to them (SPEC §8)."""

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


@app.command("list")
def list_sites() -> None:
    """All checkpoint sites."""

    async def work(db: AsyncSession, config: Settings) -> None:
        table = Table("id", "name", "region", "temperature")
        for site in await SiteService(db, config, CLOCK).all():
            table.add_row(str(site.id), site.name, site.region_code, "required" if site.temperature_required else "")
        console.print(table)

    with_db(work)
