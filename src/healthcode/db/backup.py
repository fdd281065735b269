"""Backing up the database to one file and restoring it into an empty database (SPEC §12).

SQLite: the online backup API, a consistent copy while the servers go on writing. PostgreSQL:
``pg_dump`` in its custom format and ``pg_restore`` (Debian's ``postgresql-client``), which are
the tools an operator of PostgreSQL knows. A restore only goes into a database with no tables:
overwriting live data is never one command away. Backups hold sealed personal data as it is stored:
they are useless without the data keys, which are never written into them (keep the keys apart).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database at ``database_url`` to ``target`` (created 0600;
    refused when it exists)."""
    if target.exists():
        raise Conflict("backup_exists", N_("{path} exists already: choose a new file."), path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            with sqlite3.connect(_sqlite_path(database_url)) as source, sqlite3.connect(target) as copy:
                source.backup(copy)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}"], database_url)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def restore(database_url: str, source: Path) -> None:
    """Load a backup made by :func:`backup` into the (empty) database at ``database_url``."""
    if not source.is_file():
        raise NotFound("backup_not_found", N_("There is no backup file {path}."), path=str(source))
    if make_url(database_url).get_backend_name() == "sqlite":
        path = _sqlite_path(database_url)
        with sqlite3.connect(source) as backup_file:
            if not _sqlite_tables(backup_file):
                raise InvalidInput("backup_invalid", N_("{path} is not a backup of this platform."), path=str(source))
            with sqlite3.connect(path) as target:
                _require_empty(_sqlite_tables(target))
                backup_file.backup(target)
    else:
        _require_empty(_pg_tables(database_url))
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname={dsn}", str(source)], database_url)


def _require_empty(tables: list[str]) -> None:
    if tables:
        raise Conflict(
            "restore_target_not_empty",
            N_("The database to restore into has tables already; restore into a new, empty database."),
        )


def _sqlite_path(database_url: str) -> str:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise InvalidInput("backup_needs_a_file", N_("Only a database kept in a file can be backed up or restored."))
    return path


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _pg_tables(database_url: str) -> list[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return _run(["psql", "--no-psqlrc", "--tuples-only", "--no-align", f"--command={query}", "{dsn}"], database_url)


def _run(command: list[str], database_url: str) -> list[str]:
    """Run a PostgreSQL client on the database: ``{dsn}`` in an argument is its libpq URL without
    the password, which goes in the environment (never on a command line others can list)."""
    if shutil.which(command[0]) is None:
        raise NotFound("postgresql_client_missing", N_("{tool} is not installed (postgresql-client)."), tool=command[0])
    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.set(password=None).render_as_string(hide_password=False)
    arguments = [part.replace("{dsn}", dsn) for part in command]
    if "{dsn}" not in " ".join(command):
        arguments.append(dsn)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    done = subprocess.run(arguments, capture_output=True, text=True, check=False, timeout=3600, env=env)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
    return [line for line in done.stdout.splitlines() if line.strip()]
