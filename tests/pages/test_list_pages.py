"""The authority's list desk: upload a case list, follow its import, download the rejected rows.

Uploads are queued by the page and run by the background job; here the test runs the job's two
steps itself (``claim_next`` and ``run``), so nothing depends on the job loop's timing. Pages are
read in English, so the assertions hold before and after the zh-CN catalog grows.
"""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from healthcode.config import Settings
from healthcode.db.models import Card, ListImport
from healthcode.domain.clock import FixedClock
from healthcode.kit.assets import asset_url
from healthcode.lists.service import make_list_import_service
from tests import factories

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.settings(realname_delay_s=0)


def citizen_number(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


LISTED = citizen_number("15010219900307123")
# The same number with a wrong last character: the row the import rejects.
MISTYPED = LISTED[:-1] + ("0" if LISTED[-1] != "0" else "1")
CASES_CSV = (
    "document_type,document_number,list,since\n"
    f"resident_id,{LISTED},close_contact,2026-02-25\n"
    f"resident_id,{MISTYPED},close_contact,2026-02-25\n"
).encode()


@pytest.fixture
async def official(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    """A health-authority official signed in through the staff sign-in page, reading English; the CSRF token."""
    await client.get("/prefs/language/en?next=/staff/login")
    account = await factories.staff(
        db, settings, clock, roles=["authority"], username="official", display_name="李官员"
    )
    return await factories.sign_in_staff(client, account, clock)


async def upload(client: Client, token: str, content: bytes, filename: str = "cases.csv", kind: str = "cases") -> str:
    """Send the upload form as a browser does; returns the response's redirect target."""
    response = await client.post(
        "/staff/lists",
        data={"kind": kind, "_csrf_token": token},
        files={"file": (filename, content, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


async def run_queued_import(db: AsyncSession, settings: Settings, clock: FixedClock) -> ListImport:
    """What one pass of the background job does with the oldest queued upload."""
    service = make_list_import_service(db, settings, clock)
    import_id = await service.claim_next()
    assert import_id is not None
    return await service.run(import_id)


async def test_official_imports_a_case_list_and_downloads_the_rejected_rows(
    client: Client, official: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock)
    view = await factories.card_application(
        db, settings, clock, resident.id, document_type="resident_id", number=LISTED
    )
    assert view.card.colour == "green"

    shell = await client.get("/staff")
    assert 'href="/staff/lists"' in shell.text
    assert "Authority lists and risk areas" in shell.text

    desk = await client.get("/staff/lists")
    assert desk.status_code == 200
    assert 'enctype="multipart/form-data"' in desk.text
    assert '<label for="kind">' in desk.text
    assert '<label for="file">' in desk.text
    assert "<code>document_number</code>" in desk.text
    assert "<code>region_code</code>" in desk.text
    assert "No list has been uploaded yet." in desk.text

    location = await upload(client, official, CASES_CSV)
    found = re.fullmatch(r"/staff/lists/imports/(\d+)", location)
    assert found, location
    import_id = int(found.group(1))

    queued = await client.get(location)
    assert queued.status_code == 200
    assert '<dd id="status" class="import-queued">Waiting to start</dd>' in queued.text
    assert f'<script src="{asset_url("refresh.js")}" data-seconds="2" defer></script>' in queued.text
    assert '<progress id="progress"' in queued.text
    assert f'href="{location}?refresh=off"' in queued.text
    still = await client.get(f"{location}?refresh=off")
    assert 'http-equiv="refresh"' not in still.text, "the reader can stop the refreshing"
    listed = await client.get("/staff/lists")
    assert f'<a href="{location}">cases.csv</a>' in listed.text

    done = await run_queued_import(db, settings, clock)
    assert (done.id, done.status) == (import_id, "done")

    finished = await client.get(location)
    assert 'http-equiv="refresh"' not in finished.text
    assert "<progress" not in finished.text
    assert '<dd id="status" class="import-done">Done</dd>' in finished.text
    assert '<dd id="accepted-rows">1</dd>' in finished.text
    assert '<dd id="rejected-rows">1</dd>' in finished.text
    assert '<dd id="recoloured-cards">1</dd>' in finished.text
    assert f'href="{location}/rejected.csv"' in finished.text

    report = await client.get(f"{location}/rejected.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert report.headers["content-disposition"] == f'attachment; filename="import-{import_id}-rejected.csv"'
    assert report.headers["cache-control"] == "no-store"
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("line,column,code,message")
    assert len(lines) == 2
    assert lines[1].startswith('3,document_number,document_checksum,"The last character does not match')
    assert MISTYPED in lines[1]

    # The page itself lists the rejected rows with their reasons (no document numbers), in the
    # reader's language; the report is written in it too.
    rejections = re.search(r'<table id="rejections">(.*?)</table>', finished.text, re.S)
    assert rejections, "the rejected rows are listed on the page"
    assert "<td>3</td><td>document_number</td>" in rejections.group(1)
    assert "The last character does not match the rest of the number." in rejections.group(1)
    assert MISTYPED not in finished.text
    await client.get(f"/prefs/language/zh_CN?next={location}")
    chinese = await client.get(location)
    assert "身份证号校验位错误" in chinese.text
    assert "The last character" not in chinese.text
    assert "未导入的行" in chinese.text
    chinese_report = (await client.get(f"{location}/rejected.csv")).content.decode("utf-8-sig").splitlines()
    assert chinese_report[1].startswith("3,document_number,document_checksum,身份证号校验位错误")

    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    assert card.colour == "red", "a close contact on an imported list is red"


async def test_a_file_the_desk_cannot_use_is_refused_beside_the_field(client: Client, official: str) -> None:
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    refused = await client.post(
        "/staff/lists",
        data={"kind": "cases", "_csrf_token": official},
        files={"file": ("cases.xls", old_excel, "application/vnd.ms-excel")},
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "file") == "Upload a CSV or XLSX file with a header row."
    assert 'aria-describedby="file-hint file-error"' in refused.text

    no_file = await client.post(
        "/staff/lists",
        data={"kind": "areas", "_csrf_token": official},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert no_file.status_code == 422
    assert field_error(no_file.text, "file") == "Upload a CSV or XLSX file with a header row."
    assert '<option value="areas" selected>' in no_file.text, "the chosen kind stays chosen"

    unknown = await client.post(
        "/staff/lists",
        data={"kind": "rumours", "_csrf_token": official},
        files={"file": ("cases.csv", CASES_CSV, "text/csv")},
    )
    assert unknown.status_code == 422
    assert field_error(unknown.text, "kind") == "Choose a case list, a risk-area list or test results."
    assert "No list has been uploaded yet." in unknown.text


async def test_a_file_that_fails_as_a_whole_shows_why(
    client: Client, official: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    location = await upload(client, official, b"document_number,since\n110101199003077777,2026-02-25\n")
    failed = await run_queued_import(db, settings, clock)
    assert failed.status == "failed"
    page = await client.get(location)
    assert '<dd id="status" class="import-failed">Failed</dd>' in page.text
    assert "The import failed and nothing in the file was imported." in page.text
    assert "has no column list (名单类型)" in page.text
    assert "rejected.csv" not in page.text
    assert 'http-equiv="refresh"' not in page.text


async def test_the_desk_needs_a_signed_in_authority_official(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    queued = await make_list_import_service(db, settings, clock).queue("cli", "cases", "cases.csv", CASES_CSV)
    await run_queued_import(db, settings, clock)
    paths = ("/staff/lists", f"/staff/lists/imports/{queued.id}", f"/staff/lists/imports/{queued.id}/rejected.csv")
    for path in paths:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/login"

    reviewer = await factories.staff(db, settings, clock)
    await client.get("/prefs/language/en?next=/staff/login")
    token = await factories.sign_in_staff(client, reviewer, clock)
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 403
        assert "This page needs the role: Health authority." in response.text
        assert MISTYPED not in response.text
    posted = await client.post(
        "/staff/lists",
        data={"kind": "cases", "_csrf_token": token},
        files={"file": ("cases.csv", CASES_CSV, "text/csv")},
    )
    assert posted.status_code == 403
    shell = await client.get("/staff")
    assert 'href="/staff/lists"' not in shell.text


async def test_the_upload_needs_the_csrf_token(client: Client, official: str, db: AsyncSession) -> None:
    response = await client.post(
        "/staff/lists", data={"kind": "cases"}, files={"file": ("cases.csv", CASES_CSV, "text/csv")}
    )
    assert response.status_code == 403
    assert await db.get(ListImport, 1) is None


async def test_official_imports_test_results_and_a_positive_sample_turns_the_card_red(
    client: Client, official: str, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    resident = await factories.resident(db, clock)
    view = await factories.card_application(
        db, settings, clock, resident.id, document_type="resident_id", number=LISTED
    )
    desk = await client.get("/staff/lists")
    assert '<option value="tests">Test results</option>' in desk.text
    columns = re.search(r'<details class="columns" id="columns-tests">(.*?)</details>', desk.text, re.S)
    assert columns, "the desk explains the columns of a test-result file"
    assert '<code>taken_on</code> <span lang="zh-CN">采样日期</span>' in columns.group(1)
    assert "Required. positive (阳性) or negative (阴性)." in columns.group(1)
    today = clock.now().astimezone(settings.zone).date().isoformat()
    results = f"证件号码,采样日期,检测结果,检测机构\n{LISTED},{today},阳性,第一检测中心\n".encode()

    location = await upload(client, official, results, "tests.csv", kind="tests")
    done = await run_queued_import(db, settings, clock)

    assert (done.kind, done.status, done.accepted_rows, done.recoloured_cards) == ("tests", "done", 1, 1)
    finished = await client.get(location)
    assert "Test results" in finished.text
    card = await db.get(Card, view.card.id, populate_existing=True)
    assert card is not None
    assert card.colour == "red"
    reasons = factories.reasons_of(settings, card)
    assert [reason["rule"] for reason in reasons] == ["test.positive"]
