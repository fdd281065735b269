"""Walk-ins at a designated institution (issue 10.6, SPEC §9): a clerk registers a person with no
card and no phone, photographs the document, the real-name check decides, the clerk takes the
health declaration at the desk and prints the certificate; the person claims the card on a phone
later (二次申领). Every step is audited."""

from __future__ import annotations

import asyncio
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.db.models import Application, AuditRecord, Card, Declaration, SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from healthcode.kit.assets import asset_url
from healthcode.photos import decoding
from healthcode.reviews.service import ReviewService
from tests import factories

pytestmark = pytest.mark.settings(realname_delay_s=0)

Client = AsyncTestClient[Litestar]
BODY = "15010219450307123"
NUMBER = BODY + ric.calc_check_digit(BODY + "0")
DECLARATION = {
    "temperature": "36.6",
    "travel": "",
    "contact_with_case": "no",
    "under_quarantine": "no",
    "case_status": "none",
    "address": "150102",
    "address_detail": "新华大街1号",
    "pledge": "yes",
}


@pytest.fixture
async def clerk(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> tuple[str, int]:
    """A clerk signed in through the staff sign-in page, reading English: (CSRF token, staff id)."""
    await KeyService(db, settings, clock).generate("test")
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=["clerk"], username="clerk", display_name="李办事")
    return await factories.sign_in_staff(client, account, clock), account.account.id


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


async def audit_actions(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


async def register(client: Client, token: str, name: str, number: str, document_type: str = "resident_id") -> str:
    response = await client.post(
        "/staff/walk-ins",
        data={"name": name, "document_type": document_type, "document_number": number, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_a_walk_in_is_registered_declared_and_printed_then_claims_the_card_on_a_phone(
    client: Client, clerk: tuple[str, int], db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token, clerk_id = clerk
    texts_before = await db.scalar(select(func.count()).select_from(SmsOutboxMessage))

    # The desk finds no card for the document and offers to register the person, the number
    # carried by POST (never in a URL).
    missing = await client.post(
        "/staff/certificates/find",
        data={"document_type": "resident_id", "document_number": NUMBER, "_csrf_token": token},
    )
    assert missing.status_code == 422
    assert "Register the person below" in field_error(missing.text, "document_number")
    offer = re.search(
        r'<form method="post" action="/staff/walk-ins" id="offer-registration">(.*?)</form>', missing.text, re.S
    )
    assert offer, "a not-found lookup offers to register the person"
    assert f'name="document_number" value="{NUMBER}"' in offer.group(1)
    prefilled = await client.post(
        "/staff/walk-ins",
        data={"prefill": "yes", "document_type": "resident_id", "document_number": NUMBER, "_csrf_token": token},
    )
    assert prefilled.status_code == 200
    assert f'value="{NUMBER}"' in prefilled.text
    assert await db.scalar(select(func.count()).select_from(Card)) == 0, "showing the form saves nothing"

    # Every problem at once, beside its field; the input is kept.
    wrong = await client.post(
        "/staff/walk-ins",
        data={"name": "1", "document_type": "resident_id", "document_number": NUMBER[:-1], "_csrf_token": token},
    )
    assert wrong.status_code == 422
    assert field_error(wrong.text, "name")
    assert "17 characters" in field_error(wrong.text, "document_number")
    assert f'value="{NUMBER[:-1]}"' in wrong.text
    assert await db.scalar(select(func.count()).select_from(Card)) == 0

    page = await register(client, token, "王老汉", NUMBER)
    card_id = page.rsplit("/", 1)[1]
    waiting = await client.get(page)
    assert waiting.headers["permissions-policy"].startswith("camera=(self)"), "the desk's camera may be used"
    assert 'data-state="awaiting_photos"' in waiting.text
    assert 'name="photo-front"' in waiting.text
    assert 'name="photo-back"' in waiting.text
    assert asset_url("camera.js") in waiting.text

    nothing = await client.post(f"{page}/photos", data={"_csrf_token": token}, files={"photo-front": ("", b"", "")})
    assert nothing.status_code == 422
    assert field_error(nothing.text, "photo-front") == "Take or choose a photo of the document."
    front = await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-front": ("front.jpg", factories.photo_bytes(fmt="JPEG"), "image/jpeg")},
        follow_redirects=True,
    )
    assert 'data-state="awaiting_photos"' in front.text
    assert front.text.count('<span class="tag">Uploaded</span>') == 1
    back = await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-back": ("back.jpg", factories.photo_bytes(fmt="JPEG", colour=(90, 90, 90)), "image/jpeg")},
        follow_redirects=True,
    )
    assert 'data-state="issued"' in back.text, "a resident ID passes the real-name check at once here"
    assert f'href="/staff/walk-ins/{card_id}/declare"' in back.text

    # The person has no colour until they declare: the desk offers no certificate before.
    person = await client.get(f"/staff/certificates?card={card_id}")
    assert 'id="declaration-first"' in person.text
    assert 'id="issue"' not in person.text
    form = await client.get(f"/staff/walk-ins/{card_id}/declare")
    assert form.status_code == 200
    assert f'action="/staff/walk-ins/{card_id}/declare"' in form.text
    assert "The person declared these answers to be true" in form.text
    declared = await client.post(
        f"/staff/walk-ins/{card_id}/declare", data={**DECLARATION, "_csrf_token": token}, follow_redirects=False
    )
    assert declared.status_code == 303, declared.text
    assert declared.headers["location"] == f"/staff/certificates?card={card_id}&done=declared"
    ready = await client.get(declared.headers["location"])
    assert "Print the certificate now." in ready.text
    assert 'id="issue"' in ready.text
    pdf = await client.post("/staff/certificates", data={"card": card_id, "paper": "A5", "_csrf_token": token})
    assert pdf.headers["content-type"] == "application/pdf"

    card = await db.scalar(select(Card).where(Card.public_id == card_id))
    assert card is not None
    assert (card.status, card.colour) == ("approved", "green")
    application = await db.scalar(select(Application).where(Application.card_id == card.id))
    assert application is not None
    assert (application.holder_id, application.resident_id) == (None, None)
    assert application.registered_by == f"staff:{clerk_id}"
    declaration = await db.scalar(select(Declaration).where(Declaration.card_id == card.id))
    assert declaration is not None
    assert (declaration.declared_by, declaration.taken_by) == (None, f"staff:{clerk_id}")
    assert await db.scalar(select(func.count()).select_from(SmsOutboxMessage)) == texts_before, "nobody to text"
    actions = await audit_actions(db)
    for action in (
        "walkins.register",
        "walkins.photos",
        "walkins.declaration_form",
        "walkins.declare",
        "certificates.issue",
    ):
        assert action in actions, action
    assert actions.count("walkins.photos") == 2

    # Later the person takes the card onto their own phone (二次申领): it is the same card,
    # with the colour the desk's declaration gave it.
    resident = await factories.resident(db, clock, phone="13900139000")
    claimed = await factories.card_application(
        db, settings, clock, resident.id, name="王老汉", document_type="resident_id", number=NUMBER, declared=False
    )
    assert claimed.card.public_id == card_id
    assert claimed.application is not None
    assert claimed.application.kind == "claim"
    assert (claimed.status, claimed.card.colour) == ("approved", "green")


async def test_a_registration_the_check_cannot_decide_goes_to_the_reviewers_and_tells_nobody(
    client: Client, clerk: tuple[str, int], db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token, _ = clerk
    texts_before = await db.scalar(select(func.count()).select_from(SmsOutboxMessage))
    page = await register(client, token, "JOHN SMITH", "E98765432", document_type="passport")
    sent = await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-page": ("page.png", factories.photo_bytes(), "image/png")},
        follow_redirects=True,
    )
    assert 'data-state="checking"' in sent.text
    assert "A reviewer checks this registration by hand" in sent.text
    assert "refresh.js" not in sent.text, "a human review takes hours: the page does not keep reloading"

    reviewer = await factories.staff(db, settings, clock, roles=["reviewer"], username="reviewer")
    reviews = ReviewService(db, settings, clock)
    [entry] = await reviews.queue(factories.staff_principal(reviewer))
    await reviews.decide(factories.staff_principal(reviewer), entry.application_id, approve=True, reason=None)
    approved = await client.get(page)
    assert 'data-state="issued"' in approved.text
    assert await db.scalar(select(func.count()).select_from(SmsOutboxMessage)) == texts_before


async def test_a_document_with_a_card_is_not_registered_again(
    client: Client, clerk: tuple[str, int], db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token, _ = clerk
    resident = await factories.resident(db, clock)
    await factories.card_application(db, settings, clock, resident.id, document_type="resident_id", number=NUMBER)
    refused = await client.post(
        "/staff/walk-ins",
        data={"name": "王老汉", "document_type": "resident_id", "document_number": NUMBER, "_csrf_token": token},
    )
    assert refused.status_code == 409
    assert "already has a health card" in field_error(refused.text, "document_number")
    assert await db.scalar(select(func.count()).select_from(Application)) == 1


async def test_a_rejected_registration_can_be_made_again_on_the_same_card(
    client: Client, clerk: tuple[str, int], db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token, _ = clerk
    page = await register(client, token, "JOHN SMITH", "E98765432", document_type="passport")
    await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-page": ("page.png", factories.photo_bytes(), "image/png")},
    )
    reviewer = await factories.staff(db, settings, clock, roles=["reviewer"], username="reviewer")
    reviews = ReviewService(db, settings, clock)
    [entry] = await reviews.queue(factories.staff_principal(reviewer))
    await reviews.decide(
        factories.staff_principal(reviewer), entry.application_id, approve=False, reason="photo_unreadable"
    )
    rejected = await client.get(page)
    assert 'data-state="rejected"' in rejected.text
    assert "Register again with corrected details" in rejected.text
    again = await register(client, token, "JOHN SMITH", "E98765432", document_type="passport")
    assert again == page, "the same card, a new application"
    assert 'data-state="awaiting_photos"' in (await client.get(again)).text


async def test_only_clerks_register_walk_ins(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    account = await factories.staff(db, settings, clock, roles=["checkpoint"], username="checker")
    token = await factories.sign_in_staff(client, account, clock)
    refused = await client.post(
        "/staff/walk-ins",
        data={"name": "王老汉", "document_type": "resident_id", "document_number": NUMBER, "_csrf_token": token},
    )
    assert refused.status_code == 403
    assert await db.scalar(select(func.count()).select_from(Card)) == 0


@pytest.mark.settings(photo_decode_wait_s=0.05)
async def test_a_photo_the_desk_cannot_take_is_said_beside_its_side(
    client: Client, clerk: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = clerk
    page = await register(client, token, "王老汉", NUMBER)
    not_a_photo = await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-back": ("id.pdf", b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n", "application/pdf")},
    )
    assert not_a_photo.status_code == 415
    assert field_error(not_a_photo.text, "photo-back") == "Upload a photo in JPEG, PNG or HEIC format."

    monkeypatch.setattr(decoding, "_semaphore", lambda slots: asyncio.Semaphore(0))  # every slot taken
    busy = await client.post(
        f"{page}/photos",
        data={"_csrf_token": token},
        files={"photo-front": ("front.jpg", factories.photo_bytes(fmt="JPEG"), "image/jpeg")},
    )
    assert busy.status_code == 503
    assert field_error(busy.text, "photo-front") == (
        "Many photos are being checked right now. Please send yours again in a few seconds."
    )
    assert 'data-state="awaiting_photos"' in busy.text, "the page comes back whole"
