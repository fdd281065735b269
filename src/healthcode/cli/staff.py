"""``healthcode staff``: create, list and unlock back-office accounts, change their roles, disable
and enable them, give them a new password or second factor; their API keys (``api-key``). The
administrators' pages (``/staff/admin/accounts``) call the same service, with the same rules."""

from __future__ import annotations

import pyotp
import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.cli import api_keys
from healthcode.cli.runtime import CLOCK, console, errors, with_db
from healthcode.config import Settings
from healthcode.staff.admin.service import StaffAdminService
from healthcode.staff.service import StaffService

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(api_keys.app, name="api-key")


@app.command("create")
def create(
    username: str = typer.Option(..., help="Sign-in name"),
    role: list[str] = typer.Option(
        ..., help="Role; repeat for several: reviewer, support, authority, clerk, checkpoint, admin"
    ),
    name: str = typer.Option("", help="Display name"),
    password: str = typer.Option("", help="Password; generated when empty", hide_input=True),
) -> None:
    """Create an account; prints the password (if generated) and the TOTP enrolment URI once."""

    async def work(db: AsyncSession, config: Settings) -> None:
        created = await StaffService(db, config, CLOCK).create(username, name, role, password=password or None)
        console.print(f"created {created.account.username} with roles {', '.join(created.account.roles)}")
        if not password:
            console.print(f"password: {created.password}", markup=False)
        console.print(f"authenticator secret: {created.totp_secret}", markup=False)
        console.print(f"authenticator URI: {created.provisioning_uri}", markup=False)

    with_db(work)


@app.command("list")
def list_accounts() -> None:
    """All staff accounts with roles and lock state."""

    async def work(db: AsyncSession, config: Settings) -> None:
        table = Table("user name", "name", "roles", "active", "locked until")
        for a in await StaffService(db, config, CLOCK).all():
            locked = f"{a.locked_until:%Y-%m-%d %H:%M}" if a.locked_until else ""
            table.add_row(a.username, a.display_name, ", ".join(a.roles), "yes" if a.active else "no", locked)
        console.print(table)

    with_db(work)


@app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lockout after failed sign-ins."""

    async def work(db: AsyncSession, config: Settings) -> None:
        await StaffService(db, config, CLOCK).unlock(username)
        console.print(f"unlocked {username}")

    with_db(work)


@app.command("roles")
def set_roles(
    username: str,
    role: list[str] = typer.Option(..., help="The account's roles from now on; repeat for several"),
) -> None:
    """Replace an account's roles (the last active administrator keeps the admin role)."""

    async def work(db: AsyncSession, config: Settings) -> None:
        admin = StaffAdminService(db, config, CLOCK)
        account = await admin.set_roles(await admin.id_of(username), role, actor="cli")
        console.print(f"{account.username} now has the roles {', '.join(account.roles)}", markup=False)

    with_db(work)


@app.command("disable")
def disable(username: str) -> None:
    """The account can no longer sign in; its sessions end now."""

    async def work(db: AsyncSession, config: Settings) -> None:
        admin = StaffAdminService(db, config, CLOCK)
        await admin.disable(await admin.id_of(username), actor="cli")
        console.print(f"disabled {username}", markup=False)

    with_db(work)


@app.command("enable")
def enable(username: str) -> None:
    """Let a disabled account sign in again."""

    async def work(db: AsyncSession, config: Settings) -> None:
        admin = StaffAdminService(db, config, CLOCK)
        await admin.enable(await admin.id_of(username), actor="cli")
        console.print(f"enabled {username}", markup=False)

    with_db(work)


@app.command("reset-password")
def reset_password(username: str) -> None:
    """A new generated password, printed once; the lockout is lifted and sessions end."""

    async def work(db: AsyncSession, config: Settings) -> None:
        admin = StaffAdminService(db, config, CLOCK)
        password = await admin.reset_password(await admin.id_of(username), actor="cli")
        console.print(f"password: {password}", markup=False)

    with_db(work)


@app.command("reset-authenticator")
def reset_authenticator(username: str) -> None:
    """A new second factor, its secret and enrolment URI printed once; sessions end."""

    async def work(db: AsyncSession, config: Settings) -> None:
        admin = StaffAdminService(db, config, CLOCK)
        enrolled = await admin.reset_authenticator(await admin.id_of(username), actor="cli")
        console.print(f"authenticator secret: {enrolled.secret}", markup=False)
        console.print(f"authenticator URI: {enrolled.provisioning_uri}", markup=False)

    with_db(work)


@app.command("code")
def current_code(username: str) -> None:
    """Print the account's current authenticator code (dev and test only: demo sign-ins)."""

    async def work(db: AsyncSession, config: Settings) -> None:
        if not config.dev_tools:
            errors.print("refused: authenticator codes are never printed in prod")
            raise typer.Exit(2)
        secret = await StaffService(db, config, CLOCK).authenticator_secret(username)
        print(pyotp.TOTP(secret).now())

    with_db(work)
