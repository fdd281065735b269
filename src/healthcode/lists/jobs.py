"""The lists feature's background job: running the oldest waiting list import."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.lists.service import make_list_import_service


async def run_next_import(job: JobContext) -> int:
    """One waiting import, held by this process's lease while it runs (every process looks at
    every pass; the lease gives each import to one of them)."""
    imports = make_list_import_service(job.db, job.settings, job.clock, job.leases)
    import_id = await imports.claim_next()
    if import_id is None:
        return 0
    await imports.run(import_id)
    return 1


JOBS = [Job("lists.run_next_import", run_next_import, periodic=False)]
