"""Migrations build exactly the schema the models describe, and go down again."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from healthcode.db import models  # noqa: F401
from healthcode.db.base import Base
from healthcode.db.migrate import downgrade, upgrade


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


def test_downgrade_to_nothing_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    upgrade(database_url)
