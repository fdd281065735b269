"""What every CLI command needs: settings from the environment, the application's runtime built
once for the command (:func:`healthcode.web.runtime.build_runtime`, as the servers build theirs),
a database session from it, a console."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.domain.clock import SystemClock
from healthcode.domain.errors import DomainError
from healthcode.i18n import translate
from healthcode.kit.state import AppContext
from healthcode.web.runtime import build_runtime

T = TypeVar("T")
console = Console(soft_wrap=True)  # commands and links printed whole, never folded at the terminal width
errors = Console(stderr=True)


def settings() -> Settings:
    return Settings()


def with_db(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run ``work`` with a session on the configured database; domain errors exit with status 1
    and their message, never a traceback."""
    return with_context(lambda db, context: work(db, context.settings))


def with_context(work: Callable[[AsyncSession, AppContext], Awaitable[T]]) -> T:
    """Run ``work`` with a session and the runtime's context (the features' runtimes: what the
    codes remember of keys, for one), built for this command and closed after it."""
    config = settings()

    async def main() -> T:
        runtime = build_runtime(config, CLOCK)
        try:
            async with runtime.context.sessionmaker() as session:
                return await work(session, runtime.context)
        finally:
            await runtime.close()

    return run_domain(lambda: asyncio.run(main()))


def run_domain(work: Callable[[], T]) -> T:
    """Run ``work``; a domain error exits with status 1 and its message, never a traceback."""
    try:
        return work()
    except DomainError as exc:
        errors.print(f"[red]{exc.code}[/red]: {translate(exc.message, 'en', **exc.params)}", soft_wrap=True)
        raise typer.Exit(1) from None


CLOCK = SystemClock()
