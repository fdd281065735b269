"""Settings: fail closed in prod, throwaway secrets in dev, every setting documented."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from healthcode.config import Settings
from healthcode.domain.crypto import generate_key_spec

ROOT = Path(__file__).resolve().parents[2]
STRONG = "x" * 40
PROD_SECRETS = {
    "secret_key": STRONG,
    "audit_key": STRONG,
    "index_key": STRONG,
    "data_keys": generate_key_spec("k1"),
    "card_key": "00112233445566778899aabbccddeeff",
}


def test_prod_refuses_missing_secrets(tmp_path: Path) -> None:
    names = (
        "HEALTHCODE_SECRET_KEY, HEALTHCODE_AUDIT_KEY, HEALTHCODE_INDEX_KEY, HEALTHCODE_DATA_KEYS, HEALTHCODE_CARD_KEY"
    )
    with pytest.raises(ValidationError, match=names):
        Settings(env="prod", var_dir=tmp_path, database_url="postgresql+asyncpg://x/y")


@pytest.mark.parametrize("weak", ["change-me", "short", "secret"])
def test_prod_refuses_placeholder_secrets(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValidationError, match="HEALTHCODE_SECRET_KEY"):
        Settings(env="prod", var_dir=tmp_path, database_url="x://", **{**PROD_SECRETS, "secret_key": weak})


@pytest.mark.parametrize(
    ("name", "value"),
    [("data_keys", "k1:short"), ("data_keys", "no-colon"), ("card_key", "abc"), ("card_key", "zz" * 16)],
)
def test_prod_refuses_malformed_keys(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"HEALTHCODE_{name.upper()}"):
        Settings(env="prod", var_dir=tmp_path, database_url="x://", **{**PROD_SECRETS, name: value})


def test_prod_needs_an_explicit_database(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="HEALTHCODE_DATABASE_URL"):
        Settings(env="prod", var_dir=tmp_path, **PROD_SECRETS)


def test_prod_with_real_secrets_starts(tmp_path: Path) -> None:
    settings = Settings(env="prod", var_dir=tmp_path, database_url="x://", **PROD_SECRETS)
    assert not settings.dev_tools
    assert not (tmp_path / "secrets.json").exists()


def test_dev_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = Settings(env="dev", var_dir=tmp_path)
    second = Settings(env="dev", var_dir=tmp_path)
    assert len(first.secret_key) >= 32
    assert first.secret_key != first.audit_key
    assert first.keyring.active_id == "k1"
    assert len(first.card_key_bytes) == 16
    assert (first.secret_key, first.audit_key) == (second.secret_key, second.audit_key)
    assert first.database_url == f"sqlite+aiosqlite:///{tmp_path / 'healthcode.db'}"
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCODE_SMS_DAILY_LIMIT", "3")
    monkeypatch.setenv("HEALTHCODE_HOTLINES", '["12320"]')
    settings = Settings(var_dir=tmp_path)
    assert settings.sms_limits.daily_limit == 3
    assert settings.hotlines == ["12320"]


def test_env_example_lists_every_setting() -> None:
    documented = set(re.findall(r"^#?\s*(HEALTHCODE_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    expected = {f"HEALTHCODE_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"HEALTHCODE_{name.upper()}" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("database_url", "replicas", "redis_url", "problem"),
    [
        ("", ["postgresql+asyncpg://r/db"], "redis://r", "need a PostgreSQL primary"),
        ("postgresql+asyncpg://p/db", ["postgresql://r/db"], "redis://r", "is not a postgresql\\+asyncpg URL"),
        ("postgresql+asyncpg://p/db", ["postgresql+asyncpg://r/db"], "", "needs HEALTHCODE_REDIS_URL"),
    ],
)
def test_replicas_need_postgresql_and_redis(
    tmp_path: Path, database_url: str, replicas: list[str], redis_url: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(var_dir=tmp_path, database_url=database_url, database_replica_urls=replicas, redis_url=redis_url)
    ok = Settings(
        var_dir=tmp_path,
        database_url="postgresql+asyncpg://p/db",
        database_replica_urls=["postgresql+asyncpg://r/db"],
        redis_url="redis://r",
    )
    assert ok.database_replica_urls == ["postgresql+asyncpg://r/db"]
