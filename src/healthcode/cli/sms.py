"""``healthcode sms outbox``: read what the development SMS provider "sent"."""

from __future__ import annotations

import json

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import console, errors, with_db
from healthcode.config import Settings
from healthcode.domain.phone import normalize_mobile
from healthcode.sms.provider import read_outbox

app = typer.Typer(help="Text messages.", no_args_is_help=True)


@app.command("outbox")
def outbox(
    phone: str = typer.Option("", help="Only texts to this number"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line, newest last"),
    limit: int = typer.Option(20, help="How many of the latest texts"),
) -> None:
    """Texts kept by the outbox provider, oldest first."""

    async def work(db: AsyncSession, config: Settings) -> None:
        if config.sms_provider != "outbox":
            errors.print("the outbox exists only with HEALTHCODE_SMS_PROVIDER=outbox")
            raise typer.Exit(2)
        number = normalize_mobile(phone) if phone else None
        for m in await read_outbox(db, number, limit):
            if as_json:
                record = {"phone": m.phone, "text": m.text, "code": m.code, "sent_at": m.sent_at.isoformat()}
                print(json.dumps(record, ensure_ascii=False))
            else:
                console.print(f"{m.sent_at:%Y-%m-%d %H:%M:%S} {m.phone} {m.text}", markup=False)

    with_db(work)
