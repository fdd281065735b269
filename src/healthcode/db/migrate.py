"""Running Alembic migrations from code (``healthcode db upgrade``, tests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from healthcode.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, settings: Settings | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    config.attributes["settings"] = settings
    return config


def upgrade(url: str, revision: str = "head", *, settings: Settings | None = None) -> None:
    """Create or upgrade the schema at ``url`` (SQLite folders are created as needed). Migrations
    that seal existing data (the audit head, free text) read the keys from ``settings`` when there
    is data to seal (``healthcode db upgrade`` passes them), and refuse, changing nothing, without."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, settings), revision)


def downgrade(url: str, revision: str, *, settings: Settings | None = None) -> None:
    command.downgrade(alembic_config(url, settings), revision)
