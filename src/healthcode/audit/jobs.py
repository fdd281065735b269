"""The audit feature's background job: anchoring the chain outside the database now and then."""

from __future__ import annotations

from healthcode.audit.anchors import Anchors
from healthcode.audit.service import AuditTrail
from healthcode.background import Job, JobContext


async def anchor_if_due(job: JobContext) -> int:
    """Write an anchor of the chain's head when ``HEALTHCODE_AUDIT_ANCHOR_DIR`` is set, once every
    ``HEALTHCODE_AUDIT_ANCHOR_INTERVAL_S`` in the whole cluster (a lease, not a look at the folder,
    whose anchors would each be read and verified at every pass)."""
    settings = job.settings
    if settings.audit_anchor_dir is None:
        return 0
    if not await job.leases.once_every("audit.anchor.interval", settings.audit_anchor_interval_s):
        return 0
    Anchors.of(settings.audit_anchor_dir, settings.audit_key).write(
        await AuditTrail(job.db, settings.audit_key, job.clock).head()
    )
    return 1


JOBS = [Job("audit.anchor", anchor_if_due)]
