"""Running Alembic migrations from code (``healthcode db upgrade``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, audit_key: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    config.attributes["audit_key"] = audit_key
    return config


def upgrade(url: str, revision: str = "head", *, audit_key: str | None = None) -> None:
    """Create or upgrade the schema at ``url`` (SQLite folders are created as needed); migrations
    that seal existing data (the audit head) need ``audit_key`` when there is data to seal."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, audit_key), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
