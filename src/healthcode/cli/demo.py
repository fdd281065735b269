"""``healthcode demo``: demo residents and one staff account per role; safe to run again."""

from __future__ import annotations

import base64
import hashlib

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.config import Settings
from healthcode.db.models import Resident, StaffAccount
from healthcode.domain.roles import Role
from healthcode.staff.service import StaffService

DEMO_PASSWORD = "Demo-Passw0rd-2026"  # noqa: S105 - printed for demo sign-ins, refused in prod
DEMO_PHONES = ("13800138000", "13900139000", "15000150000")


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
        for role in Role:
            username = f"demo-{role.value}"
            if await db.scalar(select(StaffAccount.id).where(StaffAccount.username == username)) is None:
                await service.create(
                    username,
                    f"Demo {role.value}",
                    [role.value],
                    password=DEMO_PASSWORD,
                    totp_secret=demo_totp_secret(username),
                    actor="demo",
                )
        for phone in DEMO_PHONES:
            if await db.scalar(select(Resident.id).where(Resident.phone == phone)) is None:
                db.add(Resident(phone=phone, created_at=CLOCK.now()))
        await db.commit()

        console.print("[bold]Residents[/bold]: log in at http://127.0.0.1:8000/login with one of")
        console.print("  " + ", ".join(DEMO_PHONES))
        console.print("  the code is at http://127.0.0.1:8000/dev/sms-outbox or `healthcode sms outbox --phone N`")
        console.print(f"[bold]Staff[/bold]: sign in at http://127.0.0.1:8000/staff/login, password {DEMO_PASSWORD}")
        for role in Role:
            username = f"demo-{role.value}"
            console.print(f"  {username:<16} authenticator secret {demo_totp_secret(username)}", markup=False)
        console.print("  current authenticator code: `healthcode staff code demo-admin`")

    with_db(work)
