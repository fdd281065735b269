"""``healthcode staff api-key``: staff API keys (API.md "Staff API"): create, list, revoke."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.apikeys.service import ApiKeyService
from healthcode.cli.runtime import CLOCK, console, with_db
from healthcode.config import Settings

app = typer.Typer(help="Staff API keys for authorities' systems and checkpoint devices.", no_args_is_help=True)


@app.command("create")
def create(
    username: str = typer.Argument(..., help="The staff account the key acts for"),
    scope: list[str] = typer.Option(..., help="Scope; repeat for several: lists, checkpoint, statistics"),
    label: str = typer.Option("", help="What the key is for (a device, a system)"),
) -> None:
    """Create a key; the key itself is printed alone on the last line, this once: it is not kept."""

    async def work(db: AsyncSession, config: Settings) -> None:
        made = await ApiKeyService(db, config, CLOCK).create(username, scope, label)
        console.print(f"created key {made.row.key_id} for {username} with scopes {', '.join(made.row.scopes)}")
        console.print("the key is shown this once; give it to its system and keep it secret:", markup=False)
        print(made.key)

    with_db(work)


@app.command("list")
def list_keys(username: str = typer.Argument(..., help="The staff account")) -> None:
    """The account's keys: id, scopes, label, when made, last used and revoked (never the key)."""

    async def work(db: AsyncSession, config: Settings) -> None:
        _, keys = await ApiKeyService(db, config, CLOCK).of_account(username)
        table = Table("key id", "scopes", "label", "created", "last used", "revoked")
        for key in keys:
            table.add_row(
                key.key_id,
                ", ".join(key.scopes),
                key.label,
                f"{key.created_at:%Y-%m-%d %H:%M}",
                f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
                f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
            )
        console.print(table)

    with_db(work)


@app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key's id, as `list` shows it")) -> None:
    """Revoke a key: it stops working at once."""

    async def work(db: AsyncSession, config: Settings) -> None:
        row = await ApiKeyService(db, config, CLOCK).revoke(key_id)
        console.print(f"revoked key {row.key_id}")

    with_db(work)
