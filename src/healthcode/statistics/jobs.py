"""The statistics feature's background job: bringing the rollups up to date (SPEC §10)."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.statistics.rollups import Rollups


async def roll_up(job: JobContext) -> int:
    """Rollup rows written; one pass every ``HEALTHCODE_STATISTICS_EVERY_S`` in the whole cluster."""
    if not await job.leases.once_every("statistics.rollups.periodic", job.settings.statistics_every_s):
        return 0
    return await Rollups(job.db, job.settings, job.clock).run()


JOBS = [Job("statistics.rollups", roll_up)]
