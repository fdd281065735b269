"""What every CLI command needs: settings from the environment, a database session, a console."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.domain.clock import SystemClock
from healthcode.domain.errors import DomainError
from healthcode.i18n import translate

T = TypeVar("T")
console = Console(soft_wrap=True)  # commands and links printed whole, never folded at the terminal width
errors = Console(stderr=True)


def settings() -> Settings:
    return Settings()


def with_db(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run ``work`` with a session on the configured database; domain errors exit with status 1
    and their message, never a traceback."""
    config = settings()

    async def main() -> T:
        engine = make_engine(config.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session, config)
        finally:
            await engine.dispose()

    return run_domain(lambda: asyncio.run(main()))


def run_domain(work: Callable[[], T]) -> T:
    """Run ``work``; a domain error exits with status 1 and its message, never a traceback."""
    try:
        return work()
    except DomainError as exc:
        errors.print(f"[red]{exc.code}[/red]: {translate(exc.message, 'en', **exc.params)}", soft_wrap=True)
        raise typer.Exit(1) from None


CLOCK = SystemClock()
