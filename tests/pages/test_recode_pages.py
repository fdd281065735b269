"""The authority's recoding desk: one official proposes, a second decides, a third answers appeals.

The four-eyes rule is the service's; these tests show it as officials meet it on the page. Pages
are read in English, so the assertions hold before and after the zh-CN catalog grows.
"""

import json
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.cards.service import CardView
from healthcode.config import Settings
from healthcode.db.models import Card, RecodeRecord, Resident, SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from healthcode.recodes.service import make_recode_service
from healthcode.staff.service import NewStaff
from tests import factories

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)

NUMBER = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
EVIDENCE = "Traced by the Xincheng district CDC on 2026-02-27: shared a table with a confirmed case."
PROPOSAL = {
    "document_type": "resident_id",
    "document_number": NUMBER,
    "colour": "red",
    "reason_code": "traced_close_contact",
    "evidence": EVIDENCE,
    "days": "",
}


@pytest.fixture
async def holder(db: AsyncSession, settings: Settings, clock: FixedClock) -> Resident:
    return await factories.resident(db, clock)


@pytest.fixture
async def card(holder: Resident, db: AsyncSession, settings: Settings, clock: FixedClock) -> CardView:
    """An approved card for a resident ID (mainland documents pass the real-name check at once)."""
    view = await factories.card_application(
        db, settings, clock, holder.id, name="张三丰", document_type="resident_id", number=NUMBER
    )
    assert view.card.masked_name == "张*丰"
    return view


async def new_official(db: AsyncSession, settings: Settings, clock: FixedClock, username: str) -> NewStaff:
    return await factories.staff(db, settings, clock, roles=["authority"], username=username, display_name=username)


async def sign_in_as(client: Client, account: NewStaff, clock: FixedClock) -> str:
    """Sign out whoever is signed in, sign ``account`` in reading English; the CSRF token. The
    clock moves on so an authenticator code is never used twice."""
    clock.advance(seconds=31)
    page = await client.get("/staff")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    if found and 'action="/staff/logout"' in page.text:
        await client.post("/staff/logout", data={"_csrf_token": found.group(1)})
    await client.get("/prefs/language/en?next=/staff/login")
    return await factories.sign_in_staff(client, account, clock)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


async def colour_of(db: AsyncSession, view: CardView) -> str:
    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    return card.colour


async def propose(client: Client, token: str, **changes: str) -> str:
    response = await client.post(
        "/staff/recodes", data={**PROPOSAL, **changes, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_a_recode_needs_a_second_official_and_an_appeal_a_third(
    client: Client, card: CardView, holder: Resident, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    proposer, approver, appeals_officer = [
        await new_official(db, settings, clock, name) for name in ("official_a", "official_b", "official_c")
    ]
    before = await colour_of(db, card)
    assert before != "red"

    token = await sign_in_as(client, proposer, clock)
    shell = await client.get("/staff")
    assert 'href="/staff/recodes"' in shell.text
    assert "Recoding (four-eyes) and appeals" in shell.text
    desk = await client.get("/staff/recodes")
    assert desk.status_code == 200
    assert desk.headers["cache-control"] == "no-store"
    for field in ("document_type", "document_number", "colour", "reason_code", "evidence", "days"):
        assert f'<label for="{field}">' in desk.text
    assert "Identified as a close contact by epidemiological tracing" in desk.text

    assert await propose(client, token) == "/staff/recodes?done=proposed"
    after = await client.get("/staff/recodes?done=proposed")
    assert "Proposed. Another official must approve it before the colour changes." in after.text
    assert "No proposals are waiting for you." in after.text, "nobody decides their own proposal"
    mine = re.search(r'<ol class="sessions" id="mine">(.*?)</ol>', after.text, re.S)
    assert mine, "but the proposer sees it waiting"
    assert "Identified as a close contact by epidemiological tracing" in mine.group(1)
    recode = await db.scalar(select(RecodeRecord))
    assert recode is not None
    assert (recode.status, recode.colour, recode.until) == ("proposed", "red", None)

    own = await client.post(f"/staff/recodes/{recode.id}/approve", data={"_csrf_token": token})
    assert own.status_code == 403
    assert field_error(own.text, "desk") == "Another official must decide this: you proposed or decided it yourself."
    assert 'id="propose"' in own.text, "the message is shown on the desk, not on a bare error page"
    assert await colour_of(db, card) == before

    token = await sign_in_as(client, approver, clock)
    desk = await client.get("/staff/recodes")
    waiting = re.search(
        rf'<ol class="sessions" id="waiting">\s*<li data-recode="{recode.id}">(.*?)</li>', desk.text, re.S
    )
    assert waiting, "the second official sees the proposal"
    assert "张*丰" in waiting.group(1)
    assert NUMBER not in desk.text
    assert "Red code" in waiting.group(1)
    assert "Identified as a close contact by epidemiological tracing" in waiting.group(1)
    assert EVIDENCE in waiting.group(1)
    assert "Until revoked" in waiting.group(1)
    done = await client.post(f"/staff/recodes/{recode.id}/approve", data={"_csrf_token": token}, follow_redirects=False)
    assert done.headers["location"] == "/staff/recodes?done=approved"
    assert await colour_of(db, card) == "red"
    again = await client.post(
        f"/staff/recodes/{recode.id}/decline", data={"_csrf_token": token}, follow_redirects=False
    )
    assert again.headers["location"] == "/staff/recodes?done=already_decided"

    await db.refresh(recode)  # the test's session still holds it as proposed
    appeal_text = "I was at home in Saihan that day; the trace mixed me up with my neighbour."
    await make_recode_service(db, settings, clock).appeal(holder.id, card.card.public_id, recode.id, appeal_text)
    desk = await client.get("/staff/recodes")
    assert "No appeals are waiting for you." in desk.text, "the approver does not answer the appeal"

    token = await sign_in_as(client, appeals_officer, clock)
    desk = await client.get("/staff/recodes")
    assert appeal_text in desk.text
    assert f'<label for="answer-{recode.id}">' in desk.text
    empty = await client.post(
        f"/staff/recodes/{recode.id}/appeal", data={"grant": "yes", "answer": " ", "_csrf_token": token}
    )
    assert empty.status_code == 422
    assert field_error(empty.text, f"answer-{recode.id}") == "Write the answer the resident will read."

    answer = "The district CDC corrected its trace: you were not at the restaurant."
    granted = await client.post(
        f"/staff/recodes/{recode.id}/appeal",
        data={"grant": "yes", "answer": answer, "_csrf_token": token},
        follow_redirects=False,
    )
    assert granted.headers["location"] == "/staff/recodes?done=granted"
    shown = await client.get(granted.headers["location"])
    assert "Appeal granted: the recode is revoked and the card&#39;s colour recomputed." in shown.text
    assert "No appeals are waiting for you." in shown.text
    await db.refresh(recode)
    assert (recode.status, recode.appeal_status) == ("revoked", "granted")
    assert factories.opened(settings, recode, "appeal_answer_enc") == answer
    assert await colour_of(db, card) == before


async def test_declining_leaves_the_colour_and_upholding_keeps_the_recode(
    client: Client, card: CardView, holder: Resident, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    first, second, third = [await new_official(db, settings, clock, name) for name in ("one", "two", "three")]
    before = await colour_of(db, card)
    token = await sign_in_as(client, first, clock)
    await propose(client, token, colour="yellow", reason_code="quarantine_order", days="7")
    await propose(client, token)
    declined, approved = list(await db.scalars(select(RecodeRecord).order_by(RecodeRecord.id)))
    assert declined.until is not None

    token = await sign_in_as(client, second, clock)
    response = await client.post(f"/staff/recodes/{declined.id}/decline", data={"_csrf_token": token})
    assert "Declined. The card&#39;s colour is unchanged." in response.text
    assert await colour_of(db, card) == before
    await client.post(f"/staff/recodes/{approved.id}/approve", data={"_csrf_token": token})
    await db.refresh(approved)
    await make_recode_service(db, settings, clock).appeal(holder.id, card.card.public_id, approved.id, "Not me.")

    token = await sign_in_as(client, third, clock)
    upheld = await client.post(
        f"/staff/recodes/{approved.id}/appeal",
        data={"grant": "no", "answer": "The trace was checked again and stands.", "_csrf_token": token},
    )
    assert "Appeal answered: the recode stands. The resident can read your answer." in upheld.text
    await db.refresh(approved)
    assert (approved.status, approved.appeal_status) == ("approved", "upheld")
    assert await colour_of(db, card) == "red"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"colour": ""}, "colour", "Choose green, yellow or red."),
        ({"reason_code": ""}, "reason_code", "Choose a reason from the list."),
        (
            {"evidence": "rumour"},
            "evidence",
            "Describe the evidence in 10 to 2000 characters: what was found, where, by whom.",
        ),
        ({"resident_note": "x" * 301}, "resident_note", "The note for the resident has at most 300 characters."),
        ({"days": "a week"}, "days", "A recode lasts 1 to 60 days, or until it is revoked."),
        ({"days": "90"}, "days", "A recode lasts 1 to 60 days, or until it is revoked."),
        (
            {"document_number": "E12345678", "document_type": "passport"},
            "document_number",
            "Nobody holds a card for this document.",
        ),
    ],
)
async def test_a_proposal_is_refused_beside_the_field(
    client: Client,
    card: CardView,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    token = await sign_in_as(client, await new_official(db, settings, clock, "official"), clock)
    response = await client.post("/staff/recodes", data={**PROPOSAL, **changes, "_csrf_token": token})
    assert response.status_code in (404, 422)
    assert field_error(response.text, field) == message
    assert f'aria-describedby="{field}-error"' in response.text or f"{field}-hint {field}-error" in response.text
    if field != "evidence":
        assert EVIDENCE in response.text, "what was typed stays in the form"
    assert await db.scalar(select(RecodeRecord)) is None


async def test_the_desk_needs_a_signed_in_authority_official(
    client: Client, card: CardView, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    response = await client.get("/staff/recodes", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"

    token = await sign_in_as(client, await factories.staff(db, settings, clock), clock)
    page = await client.get("/staff/recodes")
    assert page.status_code == 403
    assert "This page needs the role: Health authority." in page.text
    posted = await client.post("/staff/recodes", data={**PROPOSAL, "_csrf_token": token})
    assert posted.status_code == 403
    assert await db.scalar(select(RecodeRecord)) is None


async def test_forms_need_the_csrf_token(
    client: Client, card: CardView, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await sign_in_as(client, await new_official(db, settings, clock, "official"), clock)
    response = await client.post("/staff/recodes", data=PROPOSAL)
    assert response.status_code == 403
    assert await db.scalar(select(RecodeRecord)) is None


async def test_resident_sees_the_recode_with_its_reason_and_appeals_from_the_card_page(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    holder = await factories.logged_in_resident(db, settings, clock, "13700137000")
    view = await factories.card_application(
        db, settings, clock, holder.resident.id, name="王五", document_type="resident_id", number=NUMBER
    )
    proposer = await factories.staff(db, settings, clock, ("authority",), "health.one")
    approver = await factories.staff(db, settings, clock, ("authority",), "health.two")
    service = make_recode_service(db, settings, clock)
    note = "请居家隔离，社区工作人员会电话联系您。"
    recode = await service.propose(
        factories.staff_principal(proposer),
        "resident_id",
        NUMBER,
        "red",
        "traced_close_contact",
        EVIDENCE,
        None,
        resident_note=note,
    )
    await service.decide(factories.staff_principal(approver), recode.id, approve=True)

    client.cookies.set("hc_session", holder.token)
    page = await client.get(f"/cards/{view.card.public_id}")
    assert "红码" in page.text
    assert "经流行病学调查判定为密切接触者" in page.text
    assert note in page.text
    # the investigation's evidence is for officials: not on the page, in the API, the code or an SMS
    assert "Xincheng" not in page.text
    api = await client.get(
        f"/api/v1/cards/{view.card.public_id}/recodes", headers={"Authorization": f"Bearer {holder.token}"}
    )
    [shown] = api.json()
    assert (shown["reason_code"], shown["note"]) == ("traced_close_contact", note)
    assert "Xincheng" not in api.text
    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    assert "Xincheng" not in json.dumps(factories.reasons_of(settings, card), ensure_ascii=False)
    texts = list(await db.scalars(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == "13700137000")))
    assert any(note in text for text in texts), texts
    assert not any("Xincheng" in text for text in texts)
    token = await factories.csrf_token(client, f"/cards/{view.card.public_id}")
    empty = await client.post(
        f"/cards/{view.card.public_id}/recodes/{recode.id}/appeal", data={"text": "", "_csrf_token": token}
    )
    assert empty.status_code == 422
    assert f'id="appeal-{recode.id}-error"' in empty.text
    sent = await client.post(
        f"/cards/{view.card.public_id}/recodes/{recode.id}/appeal",
        data={"text": "我当天不在该地点，有出行记录为证", "_csrf_token": token},
        follow_redirects=True,
    )
    assert "您的申诉正由未参与该赋码的工作人员审查" in sent.text
