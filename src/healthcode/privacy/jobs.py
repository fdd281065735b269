"""The privacy feature's background job: purging what is past its retention (SPEC §12)."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.privacy.retention import Purge

PURGE_EVERY_S = 3600


async def purge_expired(job: JobContext) -> int:
    """Rows deleted, of every kind; the purge runs once an hour in the whole cluster."""
    if not await job.leases.once_every("privacy.purge.hourly", PURGE_EVERY_S):
        return 0
    return sum((await Purge(job.db, job.settings, job.clock).run()).values())


JOBS = [Job("privacy.purge", purge_expired)]
