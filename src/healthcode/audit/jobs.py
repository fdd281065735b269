"""The audit feature's background job: anchoring the chain outside the database now and then."""

from __future__ import annotations

from healthcode.audit.anchors import Anchors
from healthcode.audit.service import AuditTrail
from healthcode.background import Job, JobContext


async def anchor_if_due(job: JobContext) -> int:
    """Write an anchor of the chain's head when ``HEALTHCODE_AUDIT_ANCHOR_DIR`` is set and the
    newest is older than ``HEALTHCODE_AUDIT_ANCHOR_INTERVAL_S``."""
    settings = job.settings
    if settings.audit_anchor_dir is None:
        return 0
    anchors = Anchors.of(settings.audit_anchor_dir, settings.audit_key)
    if not anchors.due(job.clock.now(), settings.audit_anchor_interval_s):
        return 0
    anchors.write(await AuditTrail(job.db, settings.audit_key, job.clock).head())
    return 1


JOBS = [Job("audit.anchor", anchor_if_due)]
