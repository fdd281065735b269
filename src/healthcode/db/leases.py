"""Leases: one process at a time runs a named piece of background work, wherever it runs.

A lease is a row of ``job_leases`` (name, holder, until). :meth:`Leases.take` gets it when it is
free, expired or already ours, in one conditional update (or the insert of a new row, where the
primary key lets one process win), so of several processes asking at once exactly one gets it,
on SQLite and PostgreSQL alike. A holder that dies (``kill -9``) simply stops renewing: another
process takes the work over when ``until`` passes. Work that commits its result checks, in the
same transaction, that the lease is still its own (:meth:`Leases.still_held`), so a holder that
was too slow and lost its lease can never apply the work a second time.

Periodic jobs take a lease for one interval and keep it: each fires once per interval in the
whole cluster however many servers and workers run the job loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthcode.db.models import JobLease
from healthcode.domain.clock import Clock

log = logging.getLogger("healthcode.jobs")


def process_holder() -> str:
    """A name for this process in ``job_leases.holder``: host, pid and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(6)}"


class LeaseLost(Exception):
    """Another process took the lease over: the work's result must not be committed."""


class Leases:
    """Takes, renews and checks leases for one holder, each change in a session of its own."""

    def __init__(self, engine: AsyncEngine, clock: Clock, holder: str):
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.clock = clock
        self.holder = holder

    async def take(self, name: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` if it is free, expired or ours; False if another holds it."""
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        async with self.sessions() as db:
            taken = await db.execute(
                update(JobLease)
                .where(JobLease.name == name, or_(JobLease.until <= now, JobLease.holder == self.holder))
                .values(holder=self.holder, until=until)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                await db.commit()
                return True
            db.add(JobLease(name=name, holder=self.holder, until=until))
            try:
                await db.commit()
            except IntegrityError:
                return False
            return True

    async def renew(self, name: str, seconds: float) -> bool:
        """Extend a lease still ours; False when another process has taken it over."""
        until = self.clock.now() + timedelta(seconds=seconds)
        async with self.sessions() as db:
            renewed = await db.execute(
                update(JobLease).where(JobLease.name == name, JobLease.holder == self.holder).values(until=until)
            )
            await db.commit()
            return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]

    async def once_every(self, name: str, seconds: float) -> bool:
        """True at most once every ``seconds`` in the whole cluster (a lease nobody renews: taken
        in the name of this call alone, it is free again only when it expires)."""
        return await Leases(self.engine, self.clock, f"{self.holder}:{secrets.token_hex(4)}").take(name, seconds)

    async def release(self, name: str) -> None:
        """Give a lease back at once (the next process need not wait for it to expire)."""
        async with self.sessions() as db:
            await db.execute(
                update(JobLease)
                .where(JobLease.name == name, JobLease.holder == self.holder)
                .values(until=self.clock.now())
            )
            await db.commit()

    async def still_held(self, db: AsyncSession, name: str) -> None:
        """Inside the transaction that commits the work: raise :class:`LeaseLost` unless the
        lease is still ours. On PostgreSQL the row stays locked until that commit, so nobody can
        take the lease over between this check and the commit; SQLite has one writer at a time."""
        holder = await db.scalar(select(JobLease.holder).where(JobLease.name == name).with_for_update())
        if holder != self.holder:
            raise LeaseLost(f"{name} is now held by {holder}")

    @contextlib.asynccontextmanager
    async def kept(self, name: str, seconds: float) -> AsyncIterator[None]:
        """Renew the lease every third of ``seconds`` while the block runs (the lease must be
        taken already). A renewal that fails is logged; the commit's check decides."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(seconds / 3)
                try:
                    if not await self.renew(name, seconds):
                        log.warning("lease %s was taken over by another process", name)
                        return
                except Exception:  # a busy database: try again at the next beat
                    log.warning("could not renew lease %s", name, exc_info=True)

        beating = asyncio.create_task(keep())
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
