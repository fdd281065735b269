"""The colours feature's background job: recolouring cards whose time has come."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.colours.service import make_colour_service


async def recheck_due_cards(job: JobContext) -> int:
    """Cards whose colour may change with time alone. Every worker runs it each pass: each claims
    its own chunks of due cards (colour stamps keep any overlap right)."""
    return await make_colour_service(job.db, job.settings, job.clock).recheck_due()


JOBS = [Job("colours.recheck_due", recheck_due_cards, periodic=False)]
