"""``healthcode``: serve, worker, db, demo, sms, staff, audit (API.md "Running it")."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import typer

from healthcode.cli import audit, data, demo, keys, lists, rules, sites, sms, staff, verify
from healthcode.cli.runtime import CLOCK, console, run_domain, settings
from healthcode.db.backup import backup, restore
from healthcode.db.migrate import upgrade
from healthcode.web.runtime import build_runtime

app = typer.Typer(help="City health-code platform.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sms.app, name="sms")
app.add_typer(staff.app, name="staff")
app.add_typer(audit.app, name="audit")
app.add_typer(data.app, name="data")
app.add_typer(lists.app, name="lists")
app.add_typer(rules.app, name="rules")
app.add_typer(keys.app, name="keys")
app.add_typer(sites.app, name="sites")
app.command("verify")(verify.verify)
app.command("demo")(demo.demo)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Create or upgrade the schema of HEALTHCODE_DATABASE_URL."""
    config = settings()
    upgrade(config.database_url, revision, settings=config)
    console.print(f"database at revision {revision}")


@db_app.command("backup")
def db_backup(file: Path = typer.Argument(..., help="New file to write the backup to")) -> None:
    """Back up HEALTHCODE_DATABASE_URL to FILE while the servers run (SQLite's online backup;
    pg_dump on PostgreSQL). The data keys are not in it: keep them apart, or the backup is useless."""
    run_domain(lambda: backup(settings().database_url, file))
    console.print(f"backed up to {file} (readable by its owner only); back up the data keys apart from it")


@db_app.command("restore")
def db_restore(file: Path = typer.Argument(..., help="A file written by `healthcode db backup`")) -> None:
    """Restore FILE into HEALTHCODE_DATABASE_URL, which must be a new, empty database; then run
    `healthcode db upgrade` if the backup is from an older version."""
    run_domain(lambda: restore(settings().database_url, file))
    console.print(f"restored {file}; `healthcode audit verify` checks the audit chain came back whole")


@app.command()
def worker() -> None:
    """Run the background jobs (real-name checks, recolouring, list imports) until stopped.

    Several may run at once, on one machine or many: each job runs once. Servers then run with
    HEALTHCODE_JOBS_IN_SERVER=false. SIGTERM or Ctrl-C stops it; work in progress is rolled back
    and taken up again by another worker (a list import once its lease expires).
    """
    config = settings()

    async def main() -> None:
        runtime = build_runtime(config, CLOCK)
        running = asyncio.current_task()
        if running is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, running.cancel)
        console.print(f"worker running the background jobs every {config.jobs_interval_s} s")
        try:
            await runtime.jobs.run_forever()
        finally:
            await runtime.close()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(main())


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(0, help="Worker processes; 0 means one per CPU core"),
) -> None:
    """Serve the platform with granian."""
    from granian import Granian
    from granian.constants import Interfaces

    settings()  # fail before forking workers if the settings are wrong
    Granian(
        "healthcode.web.asgi:app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers or os.cpu_count() or 1,
    ).serve()
