"""``healthcode data``: operations on personal data at rest."""

from __future__ import annotations

import typer
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.cli.runtime import CLOCK, console, errors, settings, with_db
from healthcode.config import Settings
from healthcode.privacy.sealed import SealedColumn
from healthcode.privacy.service import count_sealed, rekey
from healthcode.privacy.winddown import WindDown, destroy_local_keys, overwrite_free_space
from healthcode.statistics.rollups import Rollups

app = typer.Typer(help="Personal data at rest.", no_args_is_help=True)


@app.command("rekey")
def rekey_command() -> None:
    """Re-encrypt every encrypted value under the first key of HEALTHCODE_DATA_KEYS; run after
    putting a new key first, then remove the old key once this has finished."""

    async def work(db: AsyncSession, config: Settings) -> int:
        totals = await count_sealed(db)
        with Progress(console=console) as bar:
            tasks = {name: bar.add_task(name, total=total) for name, total in totals.items()}

            def advance(sealed: SealedColumn, _done: int, batch: int) -> None:
                bar.advance(tasks[f"{sealed.model.__tablename__}.{sealed.column}"], batch)

            return await rekey(db, config.keyring, advance)

    rewritten = with_db(work)
    console.print(f"{rewritten} values re-encrypted under the active key")


@app.command("roll-up")
def roll_up_command() -> None:
    """Bring the statistics rollups up to date now (the worker does it every few minutes)."""

    async def work(db: AsyncSession, config: Settings) -> int:
        return await Rollups(db, config, CLOCK).run()

    console.print(f"statistics rollups: {with_db(work)} rows written")


@app.command("wind-down")
def wind_down(
    confirm: bool = typer.Option(False, "--confirm", help="Really purge every piece of personal data, for good"),
) -> None:
    """End the service: keep counts without personal data, purge every piece of personal data
    (people, cards, photos, declarations, scans, tickets, sessions, SMS, list entries), keep the
    audit chain whole and verifiable, overwrite the database's free space, destroy the data keys."""
    if not confirm:
        errors.print("this purges every piece of personal data for good: run again with --confirm")
        raise typer.Exit(2)

    async def work(db: AsyncSession, config: Settings) -> dict[str, int]:
        gone = await WindDown(db, config, CLOCK).run()
        engine = db.bind
        if isinstance(engine, AsyncEngine):
            await overwrite_free_space(engine)
        return gone

    gone = with_db(work)
    for table, count in gone.items():
        console.print(f"{table}: {count} rows purged")
    if destroy_local_keys(settings().var_dir):
        console.print("data keys destroyed in the var folder's secrets.json: what was sealed can no longer be opened")
    else:
        console.print(
            "the data keys are not kept in the var folder: remove HEALTHCODE_DATA_KEYS, HEALTHCODE_INDEX_KEY and "
            "HEALTHCODE_CARD_KEY from the deployment's secret store now, and keep HEALTHCODE_AUDIT_KEY",
            soft_wrap=True,
        )
