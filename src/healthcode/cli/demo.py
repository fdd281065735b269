"""``healthcode demo``: demo residents and one staff account per role; safe to run again."""

from __future__ import annotations

import base64
import hashlib

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.checkpoints.service import SiteService
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


def demo() -> None:
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

        console.print("[bold]Residents[/bold]: log in at http://127.0.0.1:8000/login as")
        for person in DEMO_PEOPLE:
            console.print(f"  {person.phone} ({person.name}, {person.colour} code)", markup=False)
        console.print("  the code is at http://127.0.0.1:8000/dev/sms-outbox or `healthcode sms outbox --phone N`")
        console.print(f"[bold]Staff[/bold]: sign in at http://127.0.0.1:8000/staff/login, password {DEMO_PASSWORD}")
        for username, _role in DEMO_STAFF:
            console.print(f"  {username:<16} authenticator secret {demo_totp_secret(username)}", markup=False)
        console.print("  current authenticator code: `healthcode staff code demo-admin`")

    with_db(work)
