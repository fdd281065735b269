"""Texts leave through the outbox, once (ADR 20): written with the change, handed to a real HTTP
gateway on this machine after the commit, retried under the same id, claimed by one sender."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.background import JobContext
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.leases import Leases
from healthcode.db.models import SmsOutboxMessage
from healthcode.db.models.sms import FAILED, QUEUED, SENDING, SENT
from healthcode.domain.clock import FixedClock
from healthcode.sms.carriers import make_carrier
from healthcode.sms.delivery import CLAIM_S, SmsDelivery
from healthcode.sms.jobs import deliver_queued
from healthcode.sms.provider import CarrierProvider
from healthcode.web.app import create_app

PHONE = "13800138000"


@dataclass
class Gateway:
    """A carrier's gateway on 127.0.0.1: records what it was handed, answers ``statuses`` in turn
    (then 200)."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def wait_for(self, count: int, seconds: float = 5.0) -> list[dict[str, Any]]:
        for _ in range(int(seconds / 0.02)):
            if len(self.received) >= count:
                break
            await asyncio.sleep(0.02)
        return self.received


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.received.append(body)
                state.headers.append(dict(self.headers))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "no"}')

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # two senders' 32 texts in flight at once

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def carrier_settings(settings: Settings, gateway: Gateway) -> Settings:
    return settings.model_copy(
        update={"sms_provider": "http", "sms_http_url": gateway.url, "sms_http_token": "t0ken", "sms_delivery_tries": 3}
    )


@asynccontextmanager
async def job_context(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> AsyncIterator[JobContext]:
    async with make_sessionmaker(engine)() as session:
        yield JobContext(session, settings, clock, Leases(engine, clock, "worker"))


async def rows(db: AsyncSession) -> list[SmsOutboxMessage]:
    db.expire_all()
    return list(await db.scalars(select(SmsOutboxMessage).order_by(SmsOutboxMessage.id)))


async def queue(db: AsyncSession, settings: Settings, clock: FixedClock, *texts: str, phone: str = PHONE) -> None:
    provider = CarrierProvider(db, settings, clock)
    for text in texts:
        await provider.send(phone, text)
    await db.commit()


async def until(db: AsyncSession, state: str, seconds: float = 5.0) -> list[SmsOutboxMessage]:
    """The texts once each was tried and is in ``state``."""
    for _ in range(int(seconds / 0.02)):
        found = await rows(db)
        if found and all(message.state == state and message.tries for message in found):
            return found
        await asyncio.sleep(0.02)
    return await rows(db)


async def test_a_text_leaves_once_right_after_its_commit(
    db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway
) -> None:
    provider = CarrierProvider(db, carrier_settings, clock)
    await provider.send(PHONE, "【健康码】您的颜色已更新")
    await db.flush()
    await asyncio.sleep(0.1)
    assert gateway.received == [], "nothing leaves before the change commits"

    await db.commit()
    [sent] = await until(db, SENT)
    [handed] = await gateway.wait_for(1)
    assert handed == {"id": sent.ref, "to": "+8613800138000", "text": "【健康码】您的颜色已更新"}
    assert gateway.headers[0]["Authorization"] == "Bearer t0ken"
    assert (sent.tries, sent.text, sent.delivered_at) == (1, "", clock.now()), "the carrier has the text; not kept"

    engine = db.bind
    assert isinstance(engine, AsyncEngine)
    async with job_context(engine, carrier_settings, clock) as context:
        assert await deliver_queued(context) == 0
    assert len(gateway.received) == 1, "sent once"


async def test_a_change_rolled_back_sends_nothing(
    db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway
) -> None:
    await CarrierProvider(db, carrier_settings, clock).send(PHONE, "never")
    await db.rollback()
    await db.commit()  # a later commit of the same session must not send what was rolled back
    await asyncio.sleep(0.2)
    assert await rows(db) == []
    assert gateway.received == []


async def test_a_busy_gateway_gets_the_text_again_later_under_the_same_id(
    db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway, engine: AsyncEngine
) -> None:
    gateway.statuses = [503]
    await queue(db, carrier_settings, clock, "again")
    [waiting] = await until(db, QUEUED)
    assert (waiting.tries, waiting.failure) == (1, 'HTTP 503: {"error": "no"}')
    assert waiting.due_at == clock.now() + timedelta(seconds=5)

    async with job_context(engine, carrier_settings, clock) as context:
        assert await deliver_queued(context) == 0, "not due yet"
        clock.advance(seconds=5)
        assert await deliver_queued(context) == 1
    [sent] = await rows(db)
    assert (sent.state, sent.tries, sent.failure) == (SENT, 2, None)
    first, second = gateway.received
    assert first == second, "the gateway can drop the repeat by its id"


async def test_a_refused_text_is_not_tried_again_and_the_last_try_fails_the_text(
    db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway, engine: AsyncEngine
) -> None:
    gateway.statuses = [400]
    await queue(db, carrier_settings, clock, "bad number")
    [refused] = await until(db, FAILED)
    assert (refused.tries, refused.text, refused.failure) == (1, "", 'refused: HTTP 400: {"error": "no"}')

    gateway.statuses = [500, 500, 500]
    await queue(db, carrier_settings, clock, "down", phone="13900139000")
    async with job_context(engine, carrier_settings, clock) as context:
        for _ in range(3):
            await asyncio.sleep(0.2)
            clock.advance(minutes=10)
            await deliver_queued(context)
    down = (await rows(db))[1]
    assert (down.state, down.tries) == (FAILED, 3), "HEALTHCODE_SMS_DELIVERY_TRIES"
    assert len(gateway.received) == 4


async def test_a_dead_senders_claim_runs_out_and_another_sends_the_text(
    db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway
) -> None:
    # queued, its first try never made (a crash right after the commit)
    message = SmsOutboxMessage(phone=PHONE, text="x", sent_at=clock.now(), state=QUEUED, due_at=clock.now(), ref="r1")
    db.add(message)
    await db.commit()
    carrier = make_carrier(carrier_settings)
    dead = SmsDelivery(db, carrier_settings, clock, carrier)
    assert [m.id for m in await dead._claim(None, 10)] == [message.id]  # claimed, then the sender died
    assert (await rows(db))[0].state == SENDING

    other = SmsDelivery(db, carrier_settings, clock, carrier)
    assert await other.run() == 0, "the claim holds"
    clock.advance(seconds=CLAIM_S)
    assert await other.run() == 1
    await carrier.close()
    assert (await rows(db))[0].state == SENT
    assert [body["id"] for body in gateway.received] == ["r1"]


async def test_two_senders_at_once_hand_over_each_text_once(
    engine: AsyncEngine, db: AsyncSession, carrier_settings: Settings, clock: FixedClock, gateway: Gateway
) -> None:
    db.add_all(
        SmsOutboxMessage(phone=PHONE, text=f"t{i}", sent_at=clock.now(), state=QUEUED, due_at=clock.now(), ref=f"r{i}")
        for i in range(300)
    )
    await db.commit()

    async def sender() -> int:
        carrier = make_carrier(carrier_settings)
        try:
            async with make_sessionmaker(engine)() as session:
                return await SmsDelivery(session, carrier_settings, clock, carrier).drain(5)
        finally:
            await carrier.close()

    tried = await asyncio.gather(sender(), sender())
    assert sum(tried) == 300
    ids = [body["id"] for body in gateway.received]
    assert sorted(ids) == sorted(f"r{i}" for i in range(300)), "each text once"
    assert {m.state for m in await rows(db)} == {SENT}


async def test_a_login_code_reaches_the_gateway_without_waiting_for_the_job(
    carrier_settings: Settings, clock: FixedClock, gateway: Gateway
) -> None:
    app = create_app(carrier_settings.model_copy(update={"jobs_in_server": False}), clock=clock)
    async with AsyncTestClient(app=app) as client:
        answer = await client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
        assert answer.status_code == 202, answer.text
        [handed] = await gateway.wait_for(1)
    assert handed["to"] == "+8613800138000"
    assert any(ch.isdigit() for ch in handed["text"])
