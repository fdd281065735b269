"""``healthcode db backup`` and ``healthcode db restore`` (SPEC §12): a backup restored into an
empty database holds everything, and its audit chain verifies; a restore never overwrites data."""

import asyncio
import os
import stat
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.db.engine import make_engine
from tests.conftest import BACKEND, PG_URL

runner = CliRunner()
_names = count()


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A new database with no tables, on the same server."""
    if BACKEND != "postgresql":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"hc_restore_{os.getpid()}_{next(_names)}"
    server = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    _psql(server, f"CREATE DATABASE {name}")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _psql(server, f"DROP DATABASE {name} WITH (FORCE)")


def _psql(dsn: str, command: str) -> None:
    import subprocess

    subprocess.run(["psql", "--no-psqlrc", "-q", f"--command={command}", dsn], check=True, capture_output=True)


def counts(database_url: str) -> dict[str, int]:
    async def main() -> dict[str, int]:
        engine = make_engine(database_url)
        metadata = MetaData()
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: metadata.reflect(bind=sync))
            found = {
                table.name: int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
                for table in metadata.sorted_tables
            }
        await engine.dispose()
        return found

    return asyncio.run(main())


@pytest.mark.db
def test_a_backup_restored_into_an_empty_database_holds_everything(
    env: Settings, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    before = counts(env.database_url)
    assert before["cards"] >= 3
    assert before["audit_log"] > 10

    file = tmp_path / "backups" / "healthcode.backup"
    made = runner.invoke(app, ["db", "backup", str(file)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, "the backup holds personal data: its owner's alone"
    again = runner.invoke(app, ["db", "backup", str(file)])
    assert again.exit_code == 1
    assert "backup_exists" in again.stderr

    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", empty_database)
    restored = runner.invoke(app, ["db", "restore", str(file)])
    assert restored.exit_code == 0, restored.output
    assert counts(empty_database) == before
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert f"{before['audit_log']} entries verified" in verified.stdout

    refused = runner.invoke(app, ["db", "restore", str(file)])
    assert refused.exit_code == 1
    assert "restore_target_not_empty" in refused.stderr
    assert counts(empty_database) == before, "a refused restore changes nothing"
    missing = runner.invoke(app, ["db", "restore", str(tmp_path / "nothing.backup")])
    assert missing.exit_code == 1
    assert "backup_not_found" in missing.stderr
