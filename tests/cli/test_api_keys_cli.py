"""``healthcode staff api-key``: create (the key alone on the last line, once), list, revoke."""

import re

from litestar.testing import TestClient
from typer.testing import CliRunner

from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.web.app import create_app

runner = CliRunner()
KEY = re.compile(r"hcsk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def test_a_key_is_created_printed_once_listed_without_its_secret_and_revoked(env: Settings) -> None:
    assert runner.invoke(app, ["staff", "create", "--username", "official", "--role", "authority"]).exit_code == 0
    created = runner.invoke(app, ["staff", "api-key", "create", "official", "--scope", "lists", "--label", "CDC"])
    assert created.exit_code == 0, created.output
    key = created.stdout.splitlines()[-1]
    found = KEY.fullmatch(key)
    assert found, created.stdout
    key_id = found.group(1)
    assert created.stdout.count(key) == 1

    listed = runner.invoke(app, ["staff", "api-key", "list", "official"])
    assert listed.exit_code == 0, listed.output
    assert key_id in listed.stdout
    assert "lists" in listed.stdout
    assert "CDC" in listed.stdout
    assert key[-20:] not in listed.stdout, "the secret is never shown again"

    with TestClient(create_app(env)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/api/v1/staff/api-key", headers=headers).json()["key_id"] == key_id
        revoked = runner.invoke(app, ["staff", "api-key", "revoke", key_id])
        assert revoked.exit_code == 0, revoked.output
        assert f"revoked key {key_id}" in revoked.stdout
        refused = client.get("/api/v1/staff/api-key", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "api_key_revoked"
    again = runner.invoke(app, ["staff", "api-key", "revoke", key_id])
    assert again.exit_code == 1
    assert "api_key_already_revoked" in again.output


def test_scopes_are_checked_against_the_words_and_the_accounts_roles(env: Settings) -> None:
    assert runner.invoke(app, ["staff", "create", "--username", "gate", "--role", "checkpoint"]).exit_code == 0
    unknown = runner.invoke(app, ["staff", "api-key", "create", "gate", "--scope", "everything"])
    assert unknown.exit_code == 1
    assert "api_key_scope_unknown" in unknown.output
    assert "lists, checkpoint, statistics" in unknown.output
    no_role = runner.invoke(app, ["staff", "api-key", "create", "gate", "--scope", "checkpoint", "--scope", "lists"])
    assert no_role.exit_code == 1
    assert "api_key_scope_role" in no_role.output
    nobody = runner.invoke(app, ["staff", "api-key", "create", "nobody", "--scope", "lists"])
    assert nobody.exit_code == 1
    assert "staff_not_found" in nobody.output
    missing = runner.invoke(app, ["staff", "api-key", "revoke", "000000000000"])
    assert missing.exit_code == 1
    assert "api_key_not_found" in missing.output
    assert "key id" in runner.invoke(app, ["staff", "api-key", "list", "gate"]).stdout
