"""In-process background jobs: each worker runs them every ``HEALTHCODE_JOBS_INTERVAL_S``.

No extra service is needed (the embedded default runs them too); every job is written so that
several workers running it at once do each piece of work once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from healthcode.cards.verification import make_verifier
from healthcode.colours.service import make_colour_service
from healthcode.lists.service import make_list_import_service
from healthcode.web.state import AppContext

log = logging.getLogger("healthcode.jobs")


async def run_jobs_once(context: AppContext) -> int:
    """One pass of every job; returns how many pieces of work were done: decide due real-name
    checks, recolour cards whose time has come, run one queued list import."""
    settings, clock = context.settings, context.clock
    async with context.sessionmaker() as db:
        done = await make_verifier(db, settings, clock).run_due()
        done += await make_colour_service(db, settings, clock).recheck_due()
        imports = make_list_import_service(db, settings, clock)
        import_id = await imports.claim_next()
        if import_id is not None:
            await imports.run(import_id)
            done += 1
        return done


async def _loop(context: AppContext) -> None:
    while True:
        await asyncio.sleep(context.settings.jobs_interval_s)
        try:
            await run_jobs_once(context)
        except Exception:  # a failing pass must not stop the next one
            log.exception("background job pass failed")


class JobRunner:
    """Starts the loop with the app and stops it on shutdown."""

    def __init__(self, context: AppContext):
        self.context = context
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(_loop(self.context))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
