"""``healthcode keys`` and ``healthcode verify`` as operators use them."""

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcode.cli.main import app
from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.domain.clock import FixedClock, SystemClock
from healthcode.domain.tokens import SigningKey, generate_signing_key
from tests.integration.test_keys import OTHER_ISSUER, foreign_list, token_for

runner = CliRunner()


def active_key(settings: Settings) -> SigningKey:
    async def main() -> SigningKey:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                return await KeyService(db, settings, SystemClock()).signing_key()
        finally:
            await engine.dispose()

    return asyncio.run(main())


def now_clock() -> FixedClock:
    return FixedClock(SystemClock().now())


def test_generate_rotate_retire_list(env: Settings) -> None:
    empty = runner.invoke(app, ["keys", "list"])
    assert "no signing keys" in empty.stdout

    generated = runner.invoke(app, ["keys", "generate", "--actor", "ops"])
    assert generated.exit_code == 0, generated.output
    first = generated.stdout.split()[1]
    assert len(first) == 16
    assert "CN-150100" in generated.stdout
    again = runner.invoke(app, ["keys", "generate"])
    assert again.exit_code == 1
    assert "refused" in again.stderr
    assert "rotate" in again.stderr

    prepared = runner.invoke(app, ["keys", "prepare", "--actor", "ops"])
    assert prepared.exit_code == 0, prepared.output
    second = prepared.stdout.split()[1]
    assert "signs nothing yet" in prepared.stdout
    assert f"{second}  next" in runner.invoke(app, ["keys", "list"]).stdout

    rotated = runner.invoke(app, ["keys", "rotate", "--actor", "ops"])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.stdout.split()[1] == second, "the prepared key signs now"
    assert "published less than 5 minutes ago" in rotated.stdout
    assert f"key {first} retired" in rotated.stdout
    assert "trusted until" in rotated.stdout

    listed = runner.invoke(app, ["keys", "list", "--json"])
    keys = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(k["kid"], k["status"], k["published"]) for k in keys] == [
        (first, "retired", True),
        (second, "active", True),
    ]
    assert keys[0]["trusted_until"] is not None
    assert keys[1]["not_after"] is None
    text = runner.invoke(app, ["keys", "list"]).stdout
    assert f"{second}  active" in text
    assert f"{first}  retired" in text

    retired = runner.invoke(app, ["keys", "retire", second, "--actor", "ops"])
    assert retired.exit_code == 0, retired.output
    assert "keys generate" in retired.stdout
    twice = runner.invoke(app, ["keys", "retire", second])
    assert twice.exit_code == 1
    assert "already retired" in twice.stderr
    unknown = runner.invoke(app, ["keys", "retire", "nonsense"])
    assert unknown.exit_code == 1

    tail = runner.invoke(app, ["audit", "tail", "--limit", "5"]).stdout
    for action in ("keys.generate", "keys.prepare", "keys.rotate", "keys.retire"):
        assert action in tail
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_verify_prints_the_fields_and_exits_by_validity(env: Settings) -> None:
    assert runner.invoke(app, ["keys", "generate"]).exit_code == 0
    token = token_for(active_key(env), now_clock())

    valid = runner.invoke(app, ["verify", token])
    assert valid.exit_code == 0, valid.output
    lines = dict(line.split(": ", 1) for line in valid.stdout.splitlines() if ": " in line)
    assert lines["valid"] == "true"
    assert (lines["reason"], lines["colour"], lines["masked_name"]) == ("ok", "green", "张*三")
    assert (lines["masked_document"], lines["issuer"]) == ("1501**********123X", "CN-150100")
    assert lines["expires_at"].endswith("Z")

    as_json = runner.invoke(app, ["verify", "--json", "-"], input=token + "\n")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["reason"] == "ok"

    invalid = runner.invoke(app, ["verify", "HC1:rubbish"])
    assert invalid.exit_code == 1
    assert "reason: malformed" in invalid.stdout
    stranger = runner.invoke(app, ["verify", "--json", token_for(generate_signing_key(), now_clock())])
    assert stranger.exit_code == 1
    assert json.loads(stranger.stdout) == {
        "valid": False,
        "reason": "unknown_issuer",
        "colour": None,
        "masked_name": None,
        "masked_document": None,
        "issuer": None,
        "expires_at": None,
    }


def test_trusted_lists_are_checked(env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "no trusted lists" in runner.invoke(app, ["keys", "trusted"]).stdout
    other_key = generate_signing_key()
    good = tmp_path / "cn-110000.json"
    good.write_text(json.dumps(foreign_list(other_key)))
    monkeypatch.setenv("HEALTHCODE_TRUSTED_LISTS", json.dumps([str(good)]))
    shown = runner.invoke(app, ["keys", "trusted"])
    assert shown.exit_code == 0, shown.output
    assert f"{OTHER_ISSUER}: 1 keys" in shown.stdout

    assert runner.invoke(app, ["keys", "generate"]).exit_code == 0
    theirs = runner.invoke(app, ["verify", token_for(other_key, now_clock(), issuer=OTHER_ISSUER)])
    assert theirs.exit_code == 0, theirs.output
    assert f"issuer: {OTHER_ISSUER}" in theirs.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**foreign_list(other_key), "issued_at": 5}))
    monkeypatch.setenv("HEALTHCODE_TRUSTED_LISTS", json.dumps([str(bad)]))
    refused = runner.invoke(app, ["keys", "trusted"])
    assert refused.exit_code == 1
    assert "does not verify" in refused.stderr
    assert str(bad) in refused.stderr
    assert runner.invoke(app, ["verify", "HC1:x"]).exit_code == 1
