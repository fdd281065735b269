"""``healthcode data wind-down --confirm`` (SPEC §12): after it, no table and no file of the
database holds a phone number, name or document number of anyone; counts are kept, the audit
chain verifies, and the data keys are gone."""

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from typer.testing import CliRunner

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.db.engine import make_engine
from tests.conftest import BACKEND

runner = CliRunner()


def stored(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    async def main() -> dict[str, list[tuple[object, ...]]]:
        engine = make_engine(database_url)
        metadata = MetaData()
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: metadata.reflect(bind=sync))
            found = {
                t.name: [tuple(r) for r in (await connection.execute(select(t))).all()]
                for t in metadata.tables.values()
            }
        await engine.dispose()
        return found

    return asyncio.run(main())


def personal(person: object) -> list[str]:
    return [person.phone, person.name, person.number]  # type: ignore[attr-defined]


@pytest.mark.db
@pytest.mark.slow
def test_winding_down_leaves_no_personal_data_and_keeps_counts_and_the_chain(env: Settings) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    before = stored(env.database_url)
    assert before["residents"]
    everything = "\n".join(map(str, before["cards"] + before["residents"]))
    assert DEMO_PEOPLE[0].phone in everything, "the scan below can find what it looks for"
    keys_before = json.loads((env.var_dir / "secrets.json").read_text())

    refused = runner.invoke(app, ["data", "wind-down"])
    assert refused.exit_code == 2
    assert stored(env.database_url)["residents"] == before["residents"], "nothing without --confirm"

    done = runner.invoke(app, ["data", "wind-down", "--confirm"])
    assert done.exit_code == 0, done.output
    after = stored(env.database_url)
    for table in ("residents", "cards", "applications", "application_photos", "declarations", "auth_sessions"):
        assert after[table] == [], table
    assert any(kind == "cards" for kind, *_ in after["aggregates"]), "counts without personal data are kept"
    for table, rows in after.items():
        text = repr(rows)
        for person in DEMO_PEOPLE:
            for value in personal(person):
                assert value not in text, (table, value)

    keys_after = json.loads((env.var_dir / "secrets.json").read_text())
    assert "data_keys" not in keys_after, "the data keys are destroyed"
    assert keys_after["audit_key"] == keys_before["audit_key"], "the audit key stays: the chain is checked with it"
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "data.wind_down" in runner.invoke(app, ["audit", "tail", "--limit", "1"]).stdout

    if BACKEND == "sqlite":
        database = Path(env.database_url.split(":///", 1)[1])
        for file in [*database.parent.glob(database.name + "*"), *env.var_dir.glob("*")]:
            content = file.read_bytes()
            for person in DEMO_PEOPLE:
                for value in personal(person):
                    assert value.encode() not in content, (file.name, value)
