"""The SMS feature's background job: handing queued texts to the carrier (ADR 20)."""

from __future__ import annotations

from healthcode.background import Job, JobContext
from healthcode.sms.carriers import make_carrier
from healthcode.sms.delivery import SmsDelivery

BATCHES_PER_PASS = 50
"""At most 10,000 texts per worker and pass: a pass ends, leases renew, other jobs run."""


async def deliver_queued(job: JobContext) -> int:
    """Texts whose first try failed or never ran (a crash after the commit); every worker runs
    this and claims its own texts. Nothing to do with the outbox provider."""
    if job.settings.sms_provider == "outbox":
        return 0
    carrier = make_carrier(job.settings)
    try:
        return await SmsDelivery(job.db, job.settings, job.clock, carrier).drain(BATCHES_PER_PASS)
    finally:
        await carrier.close()


JOBS = [Job("sms.deliver", deliver_queued, periodic=False)]
