"""The reviewers' desk (SPEC §3, §10) through its service, on a real database."""

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.cards.service import make_card_service
from healthcode.cards.verification import APPROVED_TEXT, REJECTED_TEXT
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.models import Application, AuditRecord, Card, CardHolder, SmsOutboxMessage
from healthcode.domain.cards import REJECTION_REASONS, ApplicationKind
from healthcode.domain.clock import FixedClock
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from healthcode.i18n import translate
from healthcode.reviews.service import ReviewService
from healthcode.sessions.service import Principal
from tests import factories

pytestmark = pytest.mark.settings(realname_delay_s=0)


@pytest.fixture
def reviews(db: AsyncSession, settings: Settings, clock: FixedClock) -> ReviewService:
    return ReviewService(db, settings, clock)


@pytest.fixture
async def reviewer(db: AsyncSession, settings: Settings, clock: FixedClock) -> Principal:
    return factories.staff_principal(await factories.staff(db, settings, clock))


@pytest.fixture
async def application_id(db: AsyncSession, settings: Settings, clock: FixedClock) -> int:
    """A passport application with its photo in: the rules provider sends it to review."""
    resident = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, resident.id)
    assert view.application is not None
    assert view.application.state == "review"
    return view.application.id


async def texts_to(db: AsyncSession, phone: str = factories.PHONE) -> list[str]:
    return list(await db.scalars(select(SmsOutboxMessage.text).where(SmsOutboxMessage.phone == phone)))


async def test_queue_lists_waiting_applications_masked_oldest_first(
    reviews: ReviewService,
    reviewer: Principal,
    application_id: int,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    clock.advance(minutes=5)
    later = await factories.resident(db, clock, "13900139000")
    await factories.card_application(db, settings, clock, later.id, name="Anna Berg", number="G87654321")

    first, second = await reviews.queue(reviewer)
    assert first.application_id == application_id
    assert (first.position, second.position) == (1, 2)
    assert first.kind is ApplicationKind.NEW
    assert first.document_type is DocumentType.PASSPORT
    assert (first.masked_name, first.masked_document) == ("张*丰", "E****5678")
    assert (second.masked_name, second.masked_document) == ("A*** B***", "G****4321")
    assert first.submitted_at is not None
    assert second.submitted_at is not None
    assert first.submitted_at < second.submitted_at
    assert factories.PASSPORT not in repr(first), "the queue never carries the full number"


async def test_queue_leaves_out_decided_and_unfinished_applications(
    reviews: ReviewService, reviewer: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock)
    await factories.card_application(db, settings, clock, resident.id, photos=False)
    other = await factories.resident(db, clock, "13900139000")
    await factories.card_application(
        db, settings, clock, other.id, document_type="resident_id", number="11010519491231002X"
    )
    assert await reviews.queue(reviewer) == []


async def test_open_shows_the_full_number_and_is_audited(
    reviews: ReviewService, reviewer: Principal, application_id: int, db: AsyncSession
) -> None:
    detail = await reviews.open(reviewer, application_id)
    assert detail.typed_name == "张三丰"
    assert detail.document_number == factories.PASSPORT
    assert detail.card_name is None, "a new card has the name that was typed"
    assert detail.kind is ApplicationKind.NEW
    assert detail.document_type is DocumentType.PASSPORT
    assert detail.photo_sides == ["page"]

    card_id = await db.scalar(select(Card.public_id))
    record = await db.scalar(select(AuditRecord).where(AuditRecord.action == "review.open"))
    assert record is not None
    assert (record.actor, record.subject) == (f"staff:{reviewer.id}", f"card:{card_id}")
    assert json.loads(record.detail) == {"application": application_id}


async def test_photo_is_decrypted_and_every_view_is_audited(
    reviews: ReviewService, reviewer: Principal, application_id: int, db: AsyncSession
) -> None:
    media_type, content = await reviews.photo(reviewer, application_id, "page")
    assert media_type == "image/png"
    assert Image.open(io.BytesIO(content)).size == (64, 40)
    await reviews.photo(reviewer, application_id, "page")

    views = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "review.photo")))
    assert len(views) == 2
    assert json.loads(views[0].detail) == {"application": application_id, "side": "page"}
    with pytest.raises(NotFound) as caught:
        await reviews.photo(reviewer, application_id, "back")
    assert caught.value.code == "review_photo_not_found"


async def test_personal_data_stays_out_of_the_audit_log(
    reviews: ReviewService, reviewer: Principal, application_id: int, db: AsyncSession
) -> None:
    await reviews.open(reviewer, application_id)
    await reviews.photo(reviewer, application_id, "page")
    await reviews.decide(reviewer, application_id, False, "photo_unreadable", "照片反光，看不清号码")
    for record in await db.scalars(select(AuditRecord)):
        assert factories.PASSPORT not in record.detail
        assert "张三丰" not in record.detail
        assert "反光" not in record.detail


async def test_approve_issues_the_card_and_texts_the_applicant(
    reviews: ReviewService, reviewer: Principal, application_id: int, db: AsyncSession, settings: Settings
) -> None:
    decided = await reviews.decide(reviewer, application_id, True, None, "checked against the photo")
    assert decided.state == "approved"
    assert decided.decided_by == f"staff:{reviewer.id}"
    assert factories.opened(settings, decided, "note_enc") == "checked against the photo"
    card = await db.scalar(select(Card))
    holder = await db.scalar(select(CardHolder))
    assert card is not None
    assert holder is not None
    assert card.status == "approved"
    assert holder.status == "active"
    assert await texts_to(db) == [translate(APPROVED_TEXT, settings.default_language, name="张*丰")]
    actions = list(await db.scalars(select(AuditRecord.actor).where(AuditRecord.action == "application.approved")))
    assert actions == [f"staff:{reviewer.id}"]
    assert await reviews.queue(reviewer) == []


async def test_reject_texts_the_reason_and_the_resident_sees_it(
    reviews: ReviewService,
    reviewer: Principal,
    application_id: int,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    await reviews.decide(reviewer, application_id, False, "photo_unreadable", "")
    application = await db.get(Application, application_id)
    assert application is not None
    assert (application.state, application.reason) == ("rejected", "photo_unreadable")
    [text] = await texts_to(db)
    assert translate(REJECTION_REASONS["photo_unreadable"], settings.default_language) in text
    assert text.startswith(translate(REJECTED_TEXT, settings.default_language).split("{")[0])
    resident = await factories.resident(db, clock)
    [view] = await make_card_service(db, settings, clock).all_for(resident.id)
    assert view.status == "rejected"


@pytest.mark.parametrize(
    ("reason", "note", "code", "field"),
    [
        (None, "", "reason_unknown", "reason"),
        ("", "", "reason_unknown", "reason"),
        ("looks_odd", "", "reason_unknown", "reason"),
        ("duplicate", "", "reason_unknown", "reason"),  # only the application flow links duplicates
        ("other", "  ", "review_note_required", "note"),
        ("other", "x" * 501, "review_note_too_long", "note"),
    ],
)
async def test_rejection_needs_a_known_reason(
    reviews: ReviewService,
    reviewer: Principal,
    application_id: int,
    db: AsyncSession,
    reason: str | None,
    note: str,
    code: str,
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await reviews.decide(reviewer, application_id, False, reason, note)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert [entry.application_id for entry in await reviews.queue(reviewer)] == [application_id]
    assert await texts_to(db) == []


async def test_other_with_a_note_is_accepted(
    reviews: ReviewService, reviewer: Principal, application_id: int, settings: Settings
) -> None:
    decided = await reviews.decide(reviewer, application_id, False, "other", "Please call us about the visa page.")
    assert decided.reason == "other"
    assert factories.opened(settings, decided, "note_enc") == "Please call us about the visa page."


async def test_deciding_twice_is_a_conflict(
    reviews: ReviewService, reviewer: Principal, application_id: int, db: AsyncSession
) -> None:
    await reviews.decide(reviewer, application_id, True, None)
    for approve, reason in ((True, None), (False, "name_mismatch")):
        with pytest.raises(Conflict) as caught:
            await reviews.decide(reviewer, application_id, approve, reason)
        assert caught.value.code == "review_already_decided"
    with pytest.raises(Conflict):
        await reviews.open(reviewer, application_id)
    assert len(await texts_to(db)) == 1, "the applicant is told once"


async def test_two_reviewers_at_once_one_decision_wins(
    reviewer: Principal,
    application_id: int,
    engine: AsyncEngine,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = factories.staff_principal(await factories.staff(db, settings, clock, username="second"))
    sessions = make_sessionmaker(engine)
    async with sessions() as first_db, sessions() as second_db:
        first, second = ReviewService(first_db, settings, clock), ReviewService(second_db, settings, clock)
        read_before_the_first_decided = await second._waiting(application_id)

        async def stale(_id: int) -> tuple[Application, Card]:
            return read_before_the_first_decided

        monkeypatch.setattr(second, "_waiting", stale)
        await first.decide(reviewer, application_id, True, None)
        with pytest.raises(Conflict) as caught:
            await second.decide(other, application_id, False, "name_mismatch")
        assert caught.value.code == "review_already_decided"
    application = await db.get(Application, application_id)
    assert application is not None
    assert (application.state, application.decided_by) == ("approved", f"staff:{reviewer.id}")
    assert len(await texts_to(db)) == 1


async def test_applications_not_in_review_cannot_be_opened(
    reviews: ReviewService, reviewer: Principal, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock)
    view = await factories.card_application(db, settings, clock, resident.id, photos=False)
    assert view.application is not None
    for missing in (view.application.id, 9999):
        with pytest.raises(NotFound) as caught:
            await reviews.open(reviewer, missing)
        assert caught.value.code == "review_not_found"


Call = Callable[[ReviewService, Principal | None, int], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "queue": lambda service, who, _id: service.queue(who),
    "open": lambda service, who, app: service.open(who, app),
    "photo": lambda service, who, app: service.photo(who, app, "page"),
    "decide": lambda service, who, app: service.decide(who, app, True, None),
}


@pytest.mark.parametrize("call", CALLS)
async def test_only_reviewers_may_use_the_desk(
    reviews: ReviewService,
    application_id: int,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    call: str,
) -> None:
    support = factories.staff_principal(
        await factories.staff(db, settings, clock, roles=["support", "admin"], username="agent")
    )
    with pytest.raises(Forbidden) as forbidden:
        await CALLS[call](reviews, support, application_id)
    assert forbidden.value.code == "staff_role_missing"
    with pytest.raises(Unauthenticated) as anonymous:
        await CALLS[call](reviews, None, application_id)
    assert anonymous.value.code == "staff_unauthenticated"
    assert await db.scalar(select(AuditRecord).where(AuditRecord.action.like("review.%"))) is None
    application = await db.get(Application, application_id)
    assert application is not None
    assert application.state == "review"
