"""``healthcode data``: operations on personal data at rest."""

from __future__ import annotations

import typer
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import console, with_db
from healthcode.config import Settings
from healthcode.privacy.sealed import SealedColumn
from healthcode.privacy.service import count_sealed, rekey

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
