"""``healthcode demo``: demo residents and one staff account per role; safe to run again."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.sites import SiteService
from healthcode.cli.demo_people import DEMO_PEOPLE, ensure_demo_people
from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.models import StaffAccount
from healthcode.domain.roles import Role
from healthcode.staff.service import StaffService

DEMO_PASSWORD = "Demo-Passw0rd-2026"  # noqa: S105 - printed for demo sign-ins, refused in prod
# Two officials of the authority, since a recode needs a second one to approve it.
DEMO_STAFF = [(f"demo-{role.value}", role) for role in Role] + [("demo-authority2", Role.AUTHORITY)]


def demo_totp_secret(username: str) -> str:
    """A fixed authenticator secret per demo account, so a phone enrolled once keeps working."""
    return base64.b32encode(hashlib.sha256(f"healthcode-demo:{username}".encode()).digest()[:20]).decode()


def this_command() -> str:
    """How to call this command again from here (``.venv/bin/healthcode`` after ``make run``,
    which is not on the PATH), or plain ``healthcode``."""
    called = Path(sys.argv[0])
    if called.name == "healthcode" and called.is_file():
        relative = os.path.relpath(called)
        return relative if not relative.startswith("..") else str(called)
    return "healthcode"


def demo(
    url: str = typer.Option("http://127.0.0.1:8000", help="Where the server will answer, for the printed links"),
) -> None:
    """Load demo data (never in prod) and print how to sign in."""

    async def work(db: AsyncSession, config: Settings) -> None:
        if config.env == "prod":
            errors.print("refused: no demo data in prod")
            raise typer.Exit(2)
        service = StaffService(db, config, CLOCK)
        for username, role in DEMO_STAFF:
            if await db.scalar(select(StaffAccount.id).where(StaffAccount.username == username)) is None:
                await service.create(
                    username,
                    f"Demo {role.value}",
                    [role.value],
                    password=DEMO_PASSWORD,
                    totp_secret=demo_totp_secret(username),
                    actor="demo",
                )
        await SiteService(db, config, CLOCK).ensure_bound(
            "demo-checkpoint", "演示检查点 (新华广场东门)", "150102", temperature_required=True
        )
        await ensure_demo_people(db, config, CLOCK)
        await KeyService(db, config, CLOCK).ensure_active("demo")

        base, command = url.rstrip("/"), this_command()
        console.print(f"[bold]Residents[/bold]: log in at {base}/login as")
        for person in DEMO_PEOPLE:
            console.print(f"  {person.phone} ({person.name}, {person.colour} code)", markup=False)
        console.print(f"  the SMS code is at {base}/dev/sms-outbox or `{command} sms outbox --phone N`", markup=False)
        console.print(f"[bold]Staff[/bold]: sign in at {base}/staff/login, password {DEMO_PASSWORD}")
        for username, _role in DEMO_STAFF:
            console.print(f"  {username:<16} authenticator secret {demo_totp_secret(username)}", markup=False)
        console.print(f"  current authenticator code: `{command} staff code demo-admin`", markup=False)
        console.print(f"[bold]API[/bold]: the OpenAPI document is at {base}/schema (JSON: {base}/schema/openapi.json)")

    with_db(work)
