"""The ``healthcode`` command as operators and scripts use it (API.md "Running it")."""

import asyncio
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from healthcode.accounts.service import LoginService
from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.domain.clock import SystemClock
from healthcode.sms.provider import OutboxProvider
from tests.unit.test_config import PROD_SECRETS

runner = CliRunner()


def run_sql(settings: Settings, *statements: str) -> None:
    async def main() -> None:
        engine = make_engine(settings.database_url)
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(main())


def send_codes(settings: Settings, *phones: str) -> None:
    async def main() -> None:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as db:
            clock = SystemClock()
            service = LoginService(db, settings, clock, OutboxProvider(db, clock))
            for phone in phones:
                await service.send_code(phone, "127.0.0.1", "zh_CN")
        await engine.dispose()

    asyncio.run(main())


def test_outbox_as_json_lines_newest_last(env: Settings) -> None:
    send_codes(env, "13800138000", "13900139000")
    result = runner.invoke(app, ["sms", "outbox", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [m["phone"] for m in lines] == ["13800138000", "13900139000"]
    assert {"phone", "text", "code", "sent_at"} <= set(lines[0])
    assert lines[0]["code"] in lines[0]["text"]
    only = runner.invoke(app, ["sms", "outbox", "--phone", "13900139000", "--json"])
    assert [json.loads(line)["phone"] for line in only.stdout.splitlines()] == ["13900139000"]


def test_outbox_rejects_a_bad_number(env: Settings) -> None:
    result = runner.invoke(app, ["sms", "outbox", "--phone", "123"])
    assert result.exit_code == 1
    assert "phone_invalid" in result.stderr


def test_demo_is_idempotent_and_prints_logins(env: Settings) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "13800138000" in first.stdout
    assert "demo-admin" in first.stdout
    assert "http://127.0.0.1:8000/login" in first.stdout
    second = runner.invoke(app, ["demo", "--url", "http://127.0.0.1:8080/"])
    assert second.exit_code == 0, second.output
    assert "http://127.0.0.1:8080/staff/login" in second.stdout, "make run PORT=8080 prints its own links"
    assert "http://127.0.0.1:8080/schema" in second.stdout
    listed = runner.invoke(app, ["staff", "list"])
    assert listed.stdout.count("demo-") == 7  # one per role, and a second authority official
    code = runner.invoke(app, ["staff", "code", "demo-admin"])
    assert code.stdout.strip().isdigit()
    assert len(code.stdout.strip()) == 6


def test_staff_create_prints_secrets_once_and_refuses_bad_roles(env: Settings) -> None:
    created = runner.invoke(app, ["staff", "create", "--username", "zhou", "--role", "reviewer", "--role", "support"])
    assert created.exit_code == 0, created.output
    assert "password:" in created.stdout
    assert "otpauth://totp/" in created.stdout
    bad = runner.invoke(app, ["staff", "create", "--username", "wu", "--role", "chef"])
    assert bad.exit_code == 1
    assert "role_unknown" in bad.stderr


def test_audit_verify_passes_then_finds_tampering(env: Settings) -> None:
    runner.invoke(app, ["demo"])
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0
    assert re.search(r"intact: \d+ entries verified", ok.stdout)
    tail = runner.invoke(app, ["audit", "tail", "--json", "--limit", "50"])
    assert "admin.staff.create" in {json.loads(line)["action"] for line in tail.stdout.splitlines()}

    if env.database_url.startswith("postgresql"):
        lift = "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"
    else:
        lift = "DROP TRIGGER audit_log_no_update"
    run_sql(env, lift, "UPDATE audit_log SET detail = '{}' WHERE seq = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at entry 2" in broken.stderr


def test_an_anchor_outside_the_database_finds_a_cut_the_database_alone_cannot_show(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An intruder with the database's rights cuts the log's tail and moves the head back with it
    (keeping the old head's row: an older copy of the database); the anchor written before finds it."""
    runner.invoke(app, ["demo"])
    no_folder = runner.invoke(app, ["audit", "anchor"])
    assert no_folder.exit_code == 1
    assert "HEALTHCODE_AUDIT_ANCHOR_DIR" in no_folder.stderr
    monkeypatch.setenv("HEALTHCODE_AUDIT_ANCHOR_DIR", str(tmp_path / "anchors"))
    anchored = runner.invoke(app, ["audit", "anchor"])
    assert anchored.exit_code == 0, anchored.output
    seq = int(re.search(r"anchored entry (\d+)", anchored.stdout).group(1))  # type: ignore[union-attr]
    assert seq > 10
    assert "up to the anchor of entry" in runner.invoke(app, ["audit", "verify"]).stdout

    if env.database_url.startswith("postgresql"):
        lift = "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"
    else:
        lift = "DROP TRIGGER audit_log_no_delete"
    # the tail cut, the head moved back to entry 3 without the audit key: its seal gives it away
    run_sql(
        env,
        lift,
        "DELETE FROM audit_log WHERE seq > 3",
        "UPDATE audit_head SET seq = 3, digest = (SELECT digest FROM audit_log WHERE seq = 3), seal = NULL",
    )
    cut = runner.invoke(app, ["audit", "verify"])
    assert cut.exit_code == 1
    assert "head was rewritten" in cut.stderr
    # everything emptied, the head as a new database has it: only the anchor knows better
    run_sql(env, "DELETE FROM audit_log", "UPDATE audit_head SET seq = 0, digest = '" + "0" * 64 + "', seal = NULL")
    emptied = runner.invoke(app, ["audit", "verify"])
    assert emptied.exit_code == 1
    assert f"entry {seq} was anchored" in emptied.stderr
    forged = tmp_path / "anchors" / "anchor-999999999999-forged.json"
    forged.write_text('{"seq": 0, "digest": "x", "at": "2026-12-06T00:00:00+00:00", "signature": "00"}')
    again = runner.invoke(app, ["audit", "verify"])
    assert again.exit_code == 1
    assert "anchor-999999999999-forged.json: not an anchor signed with this audit key" in again.stderr


def test_demo_and_outbox_code_are_refused_in_prod(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCODE_ENV", "prod")
    for name, value in PROD_SECRETS.items():
        monkeypatch.setenv(f"HEALTHCODE_{name.upper()}", value)
    assert runner.invoke(app, ["demo"]).exit_code == 2
    assert runner.invoke(app, ["staff", "code", "anyone"]).exit_code == 2


def test_db_upgrade_is_repeatable(env: Settings) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_staff_administration_from_the_command_line(env: Settings) -> None:
    runner.invoke(app, ["staff", "create", "--username", "boss", "--role", "admin"])
    runner.invoke(app, ["staff", "create", "--username", "gate", "--role", "checkpoint"])
    last = runner.invoke(app, ["staff", "disable", "boss"])
    assert last.exit_code == 1
    assert "last_admin" in last.stderr
    roles = runner.invoke(app, ["staff", "roles", "gate", "--role", "checkpoint", "--role", "clerk"])
    assert "gate now has the roles checkpoint, clerk" in roles.stdout
    reset = runner.invoke(app, ["staff", "reset-password", "gate"])
    assert re.search(r"password: \S{20,}", reset.stdout)
    enrolled = runner.invoke(app, ["staff", "reset-authenticator", "gate"])
    assert "otpauth://totp/HealthCode:gate" in enrolled.stdout
    assert runner.invoke(app, ["staff", "disable", "gate"]).exit_code == 0
    assert "no" in runner.invoke(app, ["staff", "list"]).stdout
    assert runner.invoke(app, ["staff", "enable", "gate"]).exit_code == 0
    created = runner.invoke(app, ["sites", "create", "东门", "--region", "150102"])
    site_id = re.search(r"created site (\d+)", created.stdout)
    assert site_id
    assert runner.invoke(app, ["sites", "create", "西门", "--region", "159999"]).exit_code == 1
    edited = runner.invoke(app, ["sites", "edit", site_id.group(1), "--region", "150103", "--temperature-required"])
    assert "东门 (150103)" in edited.stdout
    assert runner.invoke(app, ["sites", "bind", "gate", site_id.group(1)]).exit_code == 0
    assert "unbound gate" in runner.invoke(app, ["sites", "unbind", "gate"]).stdout
