"""The reviewers' desk pages: queue, one application with its photos, approve and reject.

The pages are read in English, so the assertions hold before and after the zh-CN catalog grows.
"""

import io
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import Application, SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from tests import factories

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)


@pytest.fixture
async def waiting(db: AsyncSession, settings: Settings, clock: FixedClock) -> int:
    """A passport application in the reviewers' queue; its id."""
    resident = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, resident.id)
    assert view.application is not None
    return view.application.id


@pytest.fixture
async def reviewer(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A reviewer signed in through the staff sign-in page, reading English; the CSRF token."""
    await client.get("/prefs/language/en?next=/staff/login")
    return await factories.sign_in_staff(client, await factories.staff(db, settings, clock), clock)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


async def test_reviewer_rejects_an_application_with_a_reason(
    client: Client, reviewer: str, waiting: int, db: AsyncSession
) -> None:
    shell = await client.get("/staff")
    assert 'href="/staff/reviews"' in shell.text
    assert "Real-name review queue" in shell.text

    queue = await client.get("/staff/reviews")
    assert queue.status_code == 200
    assert "张*丰" in queue.text
    assert "E****5678" in queue.text
    assert factories.PASSPORT not in queue.text
    assert f'href="/staff/reviews/{waiting}"' in queue.text

    detail = await client.get(f"/staff/reviews/{waiting}")
    assert detail.status_code == 200
    assert detail.headers["cache-control"] == "no-store"
    assert factories.PASSPORT in detail.text
    assert "张三丰" in detail.text
    img = re.search(r'<img src="([^"]+)" alt="([^"]+)"', detail.text)
    assert img, "each photo is an image with a text alternative"
    assert img.group(1) == f"/staff/reviews/{waiting}/photos/page"
    assert img.group(2) == "Photo of the document: The page of the document with the photo and number"

    photo = await client.get(img.group(1))
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(photo.content)).size == (64, 40)

    refused = await client.post(
        f"/staff/reviews/{waiting}/reject", data={"reason": "", "note": "blurry", "_csrf_token": reviewer}
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "reason") == "Choose a reason from the list."
    assert ">blurry</textarea>" in refused.text, "the note stays filled in"

    done = await client.post(
        f"/staff/reviews/{waiting}/reject",
        data={"reason": "photo_unreadable", "note": "", "_csrf_token": reviewer},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/reviews?done=rejected"
    after = await client.get(done.headers["location"])
    assert "Rejected. The applicant has been told the reason by text message." in after.text
    assert "No applications are waiting for review." in after.text
    assert 'id="queue"' not in after.text
    application = await db.get(Application, waiting)
    assert application is not None
    assert (application.state, application.reason) == ("rejected", "photo_unreadable")


async def test_approving_texts_the_applicant_and_a_second_decision_changes_nothing(
    client: Client, reviewer: str, waiting: int, db: AsyncSession
) -> None:
    done = await client.post(
        f"/staff/reviews/{waiting}/approve", data={"_csrf_token": reviewer}, follow_redirects=False
    )
    assert done.headers["location"] == "/staff/reviews?done=approved"
    again = await client.post(
        f"/staff/reviews/{waiting}/reject",
        data={"reason": "name_mismatch", "_csrf_token": reviewer},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/staff/reviews?done=already_decided"
    texts = list(await db.scalars(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == factories.PHONE)))
    assert len(texts) == 1
    gone = await client.get(f"/staff/reviews/{waiting}")
    assert gone.status_code == 409


async def test_the_desk_needs_a_signed_in_reviewer(
    client: Client, waiting: int, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    for path in ("/staff/reviews", f"/staff/reviews/{waiting}", f"/staff/reviews/{waiting}/photos/page"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/login"

    agent = await factories.staff(db, settings, clock, roles=["support"], username="agent")
    await client.get("/prefs/language/en?next=/staff/login")
    await factories.sign_in_staff(client, agent, clock)
    for path in ("/staff/reviews", f"/staff/reviews/{waiting}", f"/staff/reviews/{waiting}/photos/page"):
        response = await client.get(path)
        assert response.status_code == 403
        assert "This page needs the role: Real-name reviewer." in response.text
        assert factories.PASSPORT not in response.text
    shell = await client.get("/staff")
    assert 'href="/staff/reviews"' not in shell.text


async def test_forms_need_the_csrf_token(client: Client, reviewer: str, waiting: int) -> None:
    response = await client.post(f"/staff/reviews/{waiting}/approve", data={})
    assert response.status_code == 403
