"""``healthcode audit``: check the chain, anchor it outside the database, read the latest entries."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.anchors import Anchors
from healthcode.audit.service import AuditTrail
from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.config import Settings

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Walk the whole chain; exit 1 and name the first entry that was changed, inserted or deleted,
    a head rewritten without the audit key, or entries cut behind the newest anchor."""

    async def work(db: AsyncSession, config: Settings) -> bool:
        anchor = None
        if config.audit_anchor_dir is not None:
            anchor, problems = Anchors.of(config.audit_anchor_dir, config.audit_key).newest()
            for problem in problems:
                errors.print(f"ignored {problem}", markup=False, soft_wrap=True)
            if anchor is None:
                errors.print(
                    f"no anchor in {config.audit_anchor_dir}: the log is checked against its own head only",
                    markup=False,
                    soft_wrap=True,
                )
        report = await AuditTrail(db, config.audit_key, CLOCK).verify(anchor)
        if report.ok:
            against = f", up to the anchor of entry {anchor.seq} ({anchor.at:%Y-%m-%d %H:%M:%S})" if anchor else ""
            console.print(f"audit log intact: {report.checked} entries verified{against}", markup=False, soft_wrap=True)
        else:
            errors.print(
                f"audit log BROKEN at entry {report.broken_at}: {report.problem} ({report.checked} verified before it)",
                markup=False,
                soft_wrap=True,
            )
        return report.ok

    if not with_db(work):
        raise typer.Exit(1)


@app.command("anchor")
def anchor() -> None:
    """Write a signed checkpoint of the chain's head to HEALTHCODE_AUDIT_ANCHOR_DIR (the background
    job does so every HEALTHCODE_AUDIT_ANCHOR_INTERVAL_S)."""

    async def work(db: AsyncSession, config: Settings) -> None:
        if config.audit_anchor_dir is None:
            errors.print("set HEALTHCODE_AUDIT_ANCHOR_DIR to a folder outside the database first")
            raise typer.Exit(1)
        anchors = Anchors.of(config.audit_anchor_dir, config.audit_key)
        try:
            checkpoint = await AuditTrail(db, config.audit_key, CLOCK).head()
        except RuntimeError as exc:
            errors.print(str(exc), markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
        path = anchors.write(checkpoint)
        console.print(
            f"anchored entry {checkpoint.seq} in {path} (public key {anchors.public_key})", markup=False, soft_wrap=True
        )

    with_db(work)


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
