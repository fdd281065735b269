"""The certificate clerks' desk (SPEC §9): issue, verify at a checkpoint, reprint, revoke, audit."""

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from stdnum.cn import ric

from healthcode.certificates.service import CertificateService
from healthcode.codes.keys import KeyService
from healthcode.codes.memory import KeyMemory
from healthcode.codes.verification import Verifier, make_verifier, verify_with
from healthcode.config import Settings
from healthcode.db.engine import make_sessionmaker
from healthcode.db.models import AuditRecord, PaperCertificate
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Forbidden, InvalidInput
from healthcode.domain.tokens import TokenKind
from healthcode.sessions.service import Principal
from tests import factories

pytestmark = pytest.mark.settings(realname_delay_s=0)

BODY = "15010219900307123"
NUMBER = BODY + ric.calc_check_digit(BODY + "0")
Client = AsyncTestClient[Litestar]


@pytest.fixture
async def card(db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """An approved resident-ID card and an active signing key; the card's public ID."""
    await KeyService(db, settings, clock).generate("test")
    resident = await factories.resident(db, clock)
    view = await factories.card_application(
        db, settings, clock, resident.id, document_type="resident_id", number=NUMBER
    )
    assert view.card.status == "approved"
    return view.card.public_id


@pytest.fixture
async def clerk(db: AsyncSession, settings: Settings, clock: FixedClock) -> Principal:
    account = await factories.staff(db, settings, clock, roles=("clerk",), username="clerk", display_name="李办事")
    return factories.staff_principal(account)


@pytest.fixture
def service(db: AsyncSession, settings: Settings, clock: FixedClock) -> CertificateService:
    return CertificateService(db, settings, clock)


@pytest.fixture
def verifier(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> Verifier:
    return make_verifier(make_sessionmaker(engine), settings, clock, KeyMemory())


async def actions(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


async def test_issue_verify_reprint_revoke(
    service: CertificateService,
    clerk: Principal,
    card: str,
    verifier: Verifier,
    db: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    person = await service.find(clerk, "resident_id", NUMBER)
    assert person.card_id == card
    assert person.masked_name == "张*丰"
    assert NUMBER not in person.masked_document
    assert person.colour == "green"

    first = await service.issue(clerk, card)
    assert first.pdf.startswith(b"%PDF")
    result = await verifier.verify(first.token)
    assert (result.valid, result.reason, result.colour) == (True, "ok", "green")
    claims = verify_with(await verifier.refresh(), first.token, clock.now()).claims
    assert claims is not None
    assert claims.kind is TokenKind.PAPER
    assert result.masked_name == "张*丰"
    assert result.expires_at == first.record.valid_until
    assert (first.record.valid_until - first.record.issued_at).days == settings.paper_valid_days

    second = await service.reprint(clerk, first.record.id)
    assert second.record.token_id != first.record.token_id
    assert second.record.reprint_of == first.record.id
    await verifier.refresh()
    assert (await verifier.verify(first.token)).reason == "revoked"
    assert (await verifier.verify(second.token)).valid

    await service.revoke(clerk, second.record.id, "lost")
    await verifier.refresh()
    assert (await verifier.verify(second.token)).reason == "revoked"

    listed = await service.person(clerk, card)
    assert [row.status for row in listed.certificates] == ["revoked", "replaced"]
    done = await actions(db)
    for action in ("certificates.lookup", "certificates.issue", "certificates.reprint", "certificates.revoke"):
        assert action in done


@pytest.mark.parametrize(("paper", "points"), [("A4", (595, 842)), ("A5", (420, 595))])
async def test_the_printed_qr_scans_and_the_chinese_text_is_drawn(
    service: CertificateService, clerk: Principal, card: str, verifier: Verifier, paper: str, points: tuple[int, int]
) -> None:
    issued = await service.issue(clerk, card, paper)
    page = pdfium.PdfDocument(issued.pdf)[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == points
    text = page.get_textpage().get_text_range()
    assert "健康状况证明" in text
    assert "电子健康卡纸质证明" in text
    assert "绿码" in text
    image = page.render(scale=150 / 72).to_pil().convert("L")
    # The title is drawn: the area where it stands is not blank paper.
    title = image.crop((0, int(image.height * 0.07), image.width, int(image.height * 0.12)))
    assert title.getextrema()[0] < 100
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1
    result = await verifier.verify(codes[0].text)
    assert (result.valid, result.colour) == (True, "green")
    assert codes[0].text == issued.token


async def test_only_clerks_use_the_desk(
    service: CertificateService, card: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    reviewer = factories.staff_principal(await factories.staff(db, settings, clock))
    with pytest.raises(Forbidden):
        await service.find(reviewer, "resident_id", NUMBER)
    with pytest.raises(Forbidden):
        await service.issue(reviewer, card)


async def test_a_paper_size_without_a_layout_is_refused_before_anything_is_written(
    service: CertificateService, clerk: Principal, card: str, db: AsyncSession
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await service.issue(clerk, card, "Letter")
    assert refused.value.code == "paper_size_invalid"
    assert await db.scalar(select(func.count()).select_from(PaperCertificate)) == 0


async def test_desk_pages_issue_a_pdf_download(
    client: Client, card: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(db, settings, clock, roles=("clerk",), username="clerk", display_name="李办事")
    csrf = await factories.sign_in_staff(client, account, clock)
    shell = await client.get("/staff")
    assert 'href="/staff/certificates"' in shell.text
    found = await client.post(
        "/staff/certificates/find",
        data={"document_type": "resident_id", "document_number": NUMBER, "_csrf_token": csrf},
        follow_redirects=False,
    )
    assert found.status_code == 303
    assert NUMBER not in found.headers["location"]
    page = await client.get(found.headers["location"])
    assert "张*丰" in page.text
    assert NUMBER not in page.text
    pdf = await client.post("/staff/certificates", data={"card": card, "_csrf_token": csrf})
    assert pdf.status_code in (200, 201)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert io.BytesIO(pdf.content).read(4) == b"%PDF"
