"""``healthcode audit``: check the chain, read the latest entries."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditTrail
from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.config import Settings

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Walk the whole chain; exit 1 and name the first entry that was changed, inserted or deleted."""

    async def work(db: AsyncSession, config: Settings) -> bool:
        report = await AuditTrail(db, config.audit_key, CLOCK).verify()
        if report.ok:
            console.print(f"audit log intact: {report.checked} entries verified")
        else:
            errors.print(
                f"audit log BROKEN at entry {report.broken_at}: {report.problem} ({report.checked} verified before it)"
            )
        return report.ok

    if not with_db(work):
        raise typer.Exit(1)


@app.command("tail")
def tail(
    limit: int = typer.Option(20, help="How many entries"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """The latest entries, newest first."""

    async def work(db: AsyncSession, config: Settings) -> None:
        table = Table("seq", "at", "actor", "action", "subject", "detail")
        for r in await AuditTrail(db, config.audit_key, CLOCK).latest(limit):
            if as_json:
                fields = {"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action}
                print(json.dumps({**fields, "subject": r.subject, "detail": json.loads(r.detail)}, ensure_ascii=False))
            else:
                table.add_row(str(r.seq), f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.subject, r.detail)
        if not as_json:
            console.print(table)

    with_db(work)
