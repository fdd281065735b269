"""The support agents' desk: the queue, one ticket in full (audited), taking it, replying with a
status change (SMS to the resident), and the resident reading the reply on their ticket page.

The pages are read in English, so the assertions hold before and after the zh-CN catalog grows.
"""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.accounts.service import LoginService
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, SmsChallenge, SmsOutboxMessage, Ticket, TicketReply
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import DomainError
from healthcode.sms.provider import make_provider
from healthcode.support.service import SupportService
from tests import factories
from tests.integration.test_support import ADULT
from tests.pages.test_review_pages import field_error
from tests.pages.test_support_pages import PHONE, logged_in

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def ticket(db: AsyncSession, settings: Settings, clock: FixedClock) -> int:
    """A resident's ticket about their document's card being on another phone (FAQ 8); its id."""
    filed = await SupportService(db, settings, clock).file(
        (await factories.resident(db, clock, PHONE)).id,
        "phone_taken",
        "My card is on my old phone, which I lost.",
        name="张三丰",
        document_type="resident_id",
        document_number=ADULT,
        error_code="card_taken",
    )
    return filed.id


@pytest.fixture
async def agent(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A support agent signed in, reading English; the CSRF token."""
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=("support",), username="agent", display_name="李客服")
    return await factories.sign_in_staff(client, account, clock)


async def test_agent_takes_answers_and_solves_a_ticket(
    client: Client, agent: str, ticket: int, db: AsyncSession, clock: FixedClock
) -> None:
    shell = await client.get("/staff")
    assert 'href="/staff/support"' in shell.text

    queue = await client.get("/staff/support")
    assert queue.status_code == 200
    assert f'href="/staff/support/{ticket}"' in queue.text
    assert "My document&#39;s card is on another phone" in queue.text
    assert ADULT not in queue.text
    assert "张三丰" not in queue.text

    page = await client.get(f"/staff/support/{ticket}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert ADULT in page.text
    assert "张三丰" in page.text
    assert "My card is on my old phone" in page.text
    assert "card_taken" in page.text
    opened = await db.scalar(select(AuditRecord).where(AuditRecord.action == "support.open"))
    assert opened is not None
    assert opened.subject == f"ticket:{ticket}"

    taken = await client.post(f"/staff/support/{ticket}/assign", data={"_csrf_token": agent})
    assert taken.status_code == 200  # followed the redirect
    assert "The ticket is yours now." in taken.text
    assert "An agent is working on it" in taken.text

    refused = await client.post(
        f"/staff/support/{ticket}/reply", data={"text": "Done", "status": "open", "_csrf_token": agent}
    )
    assert refused.status_code == 422
    assert "cannot move" in field_error(refused.text, "status")
    assert await db.scalar(select(TicketReply.id)) is None

    empty = await client.post(f"/staff/support/{ticket}/reply", data={"text": " ", "_csrf_token": agent})
    assert empty.status_code == 422
    assert field_error(empty.text, "text")

    answer = "Your card has been moved to this phone."
    sent = await client.post(
        f"/staff/support/{ticket}/reply", data={"text": answer, "status": "solved", "_csrf_token": agent}
    )
    assert sent.status_code == 200
    assert "Reply sent." in sent.text
    assert answer in sent.text
    stored = await db.scalar(select(TicketReply))
    assert stored is not None
    assert answer.encode() not in stored.text_enc
    await db.refresh(row := await db.get_one(Ticket, ticket))
    assert row.status == "solved"
    sms = (await db.scalars(select(SmsOutboxMessage).where(SmsOutboxMessage.phone == PHONE))).all()
    assert any(answer in message.text for message in sms)
    actions = set(await db.scalars(select(AuditRecord.action).where(AuditRecord.subject == f"ticket:{ticket}")))
    assert {"support.open", "support.assign", "support.reply"} <= actions

    gone = await client.get("/staff/support")
    assert f'href="/staff/support/{ticket}"' not in gone.text  # a solved ticket leaves the queue

    await logged_in(client, db)
    mine = await client.get("/support/tickets")
    assert answer in mine.text
    assert "Solved" in mine.text


async def test_only_support_agents_open_the_desk(
    client: Client, ticket: int, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await client.get("/prefs/language/en?next=/staff/login")
    await factories.sign_in_staff(client, await factories.staff(db, settings, clock), clock)  # a reviewer
    assert (await client.get("/staff/support")).status_code == 403
    assert (await client.get(f"/staff/support/{ticket}")).status_code == 403


async def test_agent_resets_the_daily_sms_limit_of_the_residents_number(
    client: Client, agent: str, ticket: int, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    accounts = LoginService(db, settings, clock, make_provider(settings, db, clock))
    limit = settings.sms_limits.daily_limit
    for n in range(limit):
        await accounts.send_code(PHONE, f"10.0.0.{n}", "en")
        clock.advance(seconds=settings.sms_limits.resend_interval_s + 1)
    with pytest.raises(DomainError):
        await accounts.send_code(PHONE, "10.1.0.1", "en")

    reset = await client.post(f"/staff/support/{ticket}/sms-quota", data={"_csrf_token": agent})
    assert reset.status_code == 200
    assert "count from zero again" in reset.text
    sent_before = await db.scalar(select(func.count()).select_from(SmsChallenge))
    assert sent_before == limit  # the send log is kept as it was

    await accounts.send_code(PHONE, "10.1.0.1", "en")
    audited = await db.scalar(select(AuditRecord).where(AuditRecord.action == "support.sms_quota_reset"))
    assert audited is not None
    assert audited.actor.startswith("staff:")
