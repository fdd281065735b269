"""The shape of a feature's background jobs: a feature's ``jobs.py`` exports ``JOBS``, a list of
:class:`Job`; the job loop (``healthcode worker``, or inside ``healthcode serve``) finds and runs
them (:mod:`healthcode.web.jobs`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.leases import Leases
from healthcode.domain.clock import Clock


@dataclass(frozen=True)
class JobContext:
    """What a job gets for one pass: a session, the settings, the clock, this process's leases."""

    db: AsyncSession
    settings: Settings
    clock: Clock
    leases: Leases


@dataclass(frozen=True)
class Job:
    """One background job. A ``periodic`` job fires once a pass in the whole cluster (its lease,
    named ``name``, is held for one pass); otherwise it runs in every process at every pass and
    claims its own work. ``run`` returns how many pieces of work it did."""

    name: str
    run: Callable[[JobContext], Awaitable[int]]
    periodic: bool = True
