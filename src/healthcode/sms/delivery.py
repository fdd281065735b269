"""Handing queued texts to the carrier, each once (ADR 20).

A text is written to the outbox in the transaction of the change it tells of, so a change that
rolls back sends nothing and a committed one cannot lose its text. Senders then claim texts: a
conditional update per text (``tries`` is its version), after a ``SKIP LOCKED`` read on
PostgreSQL so that several workers take different texts instead of queueing on the same rows. A
claim lasts :data:`CLAIM_S`; a sender that dies holding one leaves the text to be tried again
when it runs out, under the same carrier reference, so a gateway that took it already drops the
repeat. Texts are tried right after the commit that queued them (:func:`deliver_soon`, which is
what makes a login code arrive at once) and by the ``sms.deliver`` job in every worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthcode.config import Settings
from healthcode.db.models import SmsOutboxMessage
from healthcode.db.models.sms import FAILED, QUEUED, SENDING, SENT
from healthcode.domain.clock import Clock
from healthcode.domain.phone import mask_mobile
from healthcode.sms.carriers import Carrier, CarrierRefused, CarrierUnavailable, make_carrier

log = logging.getLogger("healthcode.sms")

BATCH = 200
"""Texts one sender claims at a time."""
IN_FLIGHT = 16
"""Texts one sender hands to the gateway at once."""
CLAIM_S = 60
"""How long a claim lasts: well past the gateway's timeout, so only a dead sender's claim runs out."""
FIRST_RETRY_S = 5
LAST_RETRY_S = 600


def retry_delay(tries: int) -> timedelta:
    """The wait after the ``tries``-th failed try: 5 s, doubling, at most 10 minutes."""
    return timedelta(seconds=min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, tries - 1)))


class SmsDelivery:
    """One sender: claims due texts and hands them to its carrier."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, carrier: Carrier):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.carrier = carrier

    async def run(self, only: Sequence[int] | None = None, *, limit: int = BATCH) -> int:
        """Claim due texts (of ``only``, if given), hand them over, record each outcome. Returns
        how many were tried (taken or not)."""
        claimed = await self._claim(only, limit)
        if not claimed:
            return 0
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(message: SmsOutboxMessage) -> str | None:
            async with gate:
                return await self._hand_over(message)

        failures = await asyncio.gather(*(one(message) for message in claimed))
        now = self.clock.now()
        for message, failure in zip(claimed, failures, strict=True):
            if failure is None:
                self._record_sent(message, now)
            else:
                self._record_failure(message, failure, now)
        await self.db.commit()
        return len(claimed)

    async def drain(self, batches: int) -> int:
        """Up to ``batches`` passes of :meth:`run`, while each finds a full batch; returns how
        many texts were tried."""
        tried = 0
        for _ in range(batches):
            count = await self.run()
            tried += count
            if count < BATCH:
                break
        return tried

    async def _claim(self, only: Sequence[int] | None, limit: int) -> list[SmsOutboxMessage]:
        now = self.clock.now()
        due = (
            select(SmsOutboxMessage.id, SmsOutboxMessage.tries)
            .where(SmsOutboxMessage.state.in_((QUEUED, SENDING)), SmsOutboxMessage.due_at <= now)
            .order_by(SmsOutboxMessage.id)
            .limit(limit)
        )
        if only is not None:
            due = due.where(SmsOutboxMessage.id.in_(only))
        if self.db.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = (await self.db.execute(due)).all()
        mine = []
        for message_id, tries in rows:
            claim = (
                update(SmsOutboxMessage)
                .where(SmsOutboxMessage.id == message_id, SmsOutboxMessage.tries == tries)
                .values(state=SENDING, tries=tries + 1, due_at=now + timedelta(seconds=CLAIM_S))
            )
            if (await self.db.execute(claim)).rowcount == 1:  # type: ignore[attr-defined]
                mine.append(message_id)
        await self.db.commit()
        if not mine:
            return []
        return list(await self.db.scalars(select(SmsOutboxMessage).where(SmsOutboxMessage.id.in_(mine))))

    async def _hand_over(self, message: SmsOutboxMessage) -> str | None:
        """None when the gateway took the text; else why not, prefixed ``refused:`` when final."""
        try:
            await self.carrier.hand_over(message.ref or str(message.id), message.phone, message.text)
        except CarrierRefused as exc:
            return f"refused: {exc}"
        except CarrierUnavailable as exc:
            return str(exc)
        return None

    def _record_sent(self, message: SmsOutboxMessage, now: datetime) -> None:
        message.state = SENT
        message.delivered_at = now
        message.due_at = None
        message.failure = None
        message.text = ""  # the carrier has it; nothing of it stays here
        message.code = None

    def _record_failure(self, message: SmsOutboxMessage, failure: str, now: datetime) -> None:
        message.failure = failure[:200]
        if failure.startswith("refused:") or message.tries >= self.settings.sms_delivery_tries:
            message.state = FAILED
            message.due_at = None
            message.text = ""
            message.code = None
            log.warning(
                "text %s to %s failed after %s tries: %s",
                message.id,
                mask_mobile(message.phone),
                message.tries,
                failure,
            )
        else:
            message.state = QUEUED
            message.due_at = now + retry_delay(message.tries)


async def deliver(engine: AsyncEngine, settings: Settings, clock: Clock, only: Sequence[int] | None = None) -> int:
    """One sender's pass with a session and a carrier of its own."""
    carrier = make_carrier(settings)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            return await SmsDelivery(db, settings, clock, carrier).run(only)
    finally:
        await carrier.close()


_SOON: set[asyncio.Task[int]] = set()
"""Hand-overs started after a commit, kept referenced until they end (the event loop keeps only
weak references to tasks)."""


def deliver_soon(engine: AsyncEngine, settings: Settings, clock: Clock, ids: Sequence[int]) -> None:
    """Try these texts now, beside the request that queued them; what fails is left to the job."""

    async def attempt() -> int:
        try:
            return await deliver(engine, settings, clock, ids)
        except Exception:
            log.exception("handing texts %s to the carrier failed; the sms.deliver job will try again", list(ids))
            return 0

    task = asyncio.get_running_loop().create_task(attempt())
    _SOON.add(task)
    task.add_done_callback(_SOON.discard)
