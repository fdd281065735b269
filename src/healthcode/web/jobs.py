"""The background jobs and the loop that runs them: in each `healthcode serve` worker (the
embedded default, ``HEALTHCODE_JOBS_IN_SERVER``) or in `healthcode worker` processes.

However many processes run the loop, each periodic job fires once a pass in the whole cluster
(a lease per job, :mod:`healthcode.db.leases`), and each piece of work is done once: a real-name
application is claimed by one conditional update, a card's colour is written only over the stamp
it was read with, a list import is held by one worker's lease and taken over after a crash.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthcode.background import JobContext
from healthcode.config import Settings
from healthcode.db.leases import Leases, process_holder
from healthcode.domain.clock import Clock
from healthcode.web.features import discover_jobs

log = logging.getLogger("healthcode.jobs")


class Jobs:
    """One process's share of the background work: every feature's jobs (:func:`discover_jobs`)."""

    def __init__(
        self, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
    ):
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.leases = Leases(engine, clock, process_holder())
        self.jobs = discover_jobs()

    async def run_once(self) -> int:
        """One pass: each periodic job if no other process ran it this pass, each other job
        always (it claims its own work). Returns how many pieces of work were done."""
        done = 0
        async with self.sessionmaker() as db:
            context = JobContext(db, self.settings, self.clock, self.leases)
            for job in self.jobs:
                if job.periodic and not await self.leases.take(job.name, self.settings.jobs_interval_s):
                    continue
                done += await job.run(context)
        return done

    async def run_forever(self) -> None:
        """A pass every ``HEALTHCODE_JOBS_INTERVAL_S``; a failing pass is logged and the next runs."""
        while True:
            await asyncio.sleep(self.settings.jobs_interval_s)
            try:
                await self.run_once()
            except Exception:
                log.exception("background job pass failed")
