"""The cards feature's background job: deciding real-name checks whose delay has passed."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.cards.verification import make_verifier


async def decide_due_checks(job: JobContext) -> int:
    """Each application is claimed by one conditional update, so overlapping passes are safe."""
    return await make_verifier(job.db, job.settings, job.clock).run_due()


JOBS = [Job("realname.run_due", decide_due_checks)]
