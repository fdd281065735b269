"""The declaration form: answers that turn the code yellow or red are confirmed first (guide
step 3); the card page then shows the colour, its reasons and the way back to green."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from tests.factories import card_application, csrf_token, logged_in_resident
from tests.integration.test_cards import ADULT

Client = AsyncTestClient[Litestar]
FORM = {
    "temperature": "36.5",
    "travel": "",
    "contact_with_case": "no",
    "under_quarantine": "no",
    "case_status": "none",
    "address": "赛罕区",
    "address_detail": "大学东街1号",
    "pledge": "yes",
}


async def card_page(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    resident = await logged_in_resident(db, settings, clock)
    client.cookies.set("hc_session", resident.token)
    view = await card_application(
        db,
        settings,
        clock,
        resident.resident.id,
        name="张三",
        document_type="resident_id",
        number=ADULT,
        declared=False,
    )
    return f"/cards/{view.card.public_id}"


@pytest.mark.settings(realname_delay_s=0)
async def test_fever_is_confirmed_then_shown_with_its_reason(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page = await card_page(client, db, settings, clock)
    before = (await client.get(page)).text
    assert "尚无健康码" in before, "no colour before the first declaration"
    assert "绿码" not in before
    await KeyService(db, settings, clock).generate("test")
    code = await client.get(f"{page}/code", follow_redirects=False)
    assert (code.status_code, code.headers["location"]) == (303, f"{page}/declare"), "the code page leads to declaring"
    form = await client.get(f"{page}/declare")
    assert "健康码将根据本次申报生成" in form.text
    token = await csrf_token(client, f"{page}/declare")
    fever = {**FORM, "temperature": "38.3", "symptoms": "fever", "_csrf_token": token}
    confirm = await client.post(f"{page}/declare", data=fever)
    assert "提交后健康码将变为黄码" in confirm.text
    assert "发热" in confirm.text
    done = await client.post(f"{page}/declare", data={**fever, "confirmed": "yes"}, follow_redirects=True)
    assert "黄码" in done.text
    assert re.search(r'id="reasons"', done.text)

    # the correction: the form offers the last address again, and saving says so
    form = (await client.get(f"{page}/declare")).text
    assert 'value="内蒙古自治区呼和浩特市赛罕区"' in form
    assert 'value="大学东街1号"' in form
    healthy = await client.post(f"{page}/declare", data={**FORM, "_csrf_token": token}, follow_redirects=True)
    assert "绿码" in healthy.text
    assert 'id="reasons"' not in healthy.text
    assert "申报成功。" in healthy.text


@pytest.mark.settings(realname_delay_s=0)
async def test_errors_are_shown_beside_their_fields_and_answers_kept(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page = await card_page(client, db, settings, clock)
    token = await csrf_token(client, f"{page}/declare")
    bad = await client.post(f"{page}/declare", data={**FORM, "temperature": "52", "_csrf_token": token})
    assert bad.status_code == 422
    assert 'id="temperature-error"' in bad.text
    assert 'value="大学东街1号"' in bad.text
    ambiguous = await client.post(f"{page}/declare", data={**FORM, "address": "新城区", "_csrf_token": token})
    assert "内蒙古自治区呼和浩特市新城区（150102）" in ambiguous.text
    unpledged = await client.post(f"{page}/declare", data={**FORM, "pledge": "", "_csrf_token": token})
    assert 'id="pledge-error"' in unpledged.text
    everything = {**FORM, "temperature": "52", "address": "火星", "address_detail": "", "pledge": ""}
    all_at_once = await client.post(f"{page}/declare", data={**everything, "_csrf_token": token})
    assert all_at_once.status_code == 422
    for field in ("temperature", "address_region", "address_detail", "pledge"):
        assert f'id="{field}-error"' in all_at_once.text, f"{field}: every problem is shown at once"


@pytest.mark.settings(realname_delay_s=0)
async def test_the_risk_assessment_sheet_shows_the_latest_declaration(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    page = await card_page(client, db, settings, clock)
    empty = await client.get(f"{page}/assessment")
    assert "个人健康风险评估表" in empty.text
    assert "尚未申报健康信息" in empty.text
    token = await csrf_token(client, f"{page}/declare")
    fever = {**FORM, "temperature": "38.3", "symptoms": "fever", "travel": "武汉市", "confirmed": "yes"}
    await client.post(f"{page}/declare", data={**fever, "_csrf_token": token})
    sheet = await client.get(f"{page}/assessment")
    assert sheet.headers["cache-control"] == "no-store"
    assert re.search(r'id="temperature">38.3<', sheet.text)
    assert "发热" in sheet.text
    assert "湖北省武汉市" in sheet.text
    assert "黄码" in sheet.text
    assert "本卡已保存的申报记录：1 条。" in sheet.text
    assert ADULT not in sheet.text


@pytest.mark.settings(realname_delay_s=0)
async def test_a_stale_form_keeps_what_was_typed_and_sends_it_again(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """A form left open (or a login in another tab) has a stale token: not a bare 403 with the input
    lost, but a plain page that sends the same answers again under a fresh token."""
    page = await card_page(client, db, settings, clock)
    await csrf_token(client, f"{page}/declare")
    client.cookies.delete("hc_csrf")  # the token the page was rendered with no longer matches
    cross_site = await client.post(
        f"{page}/declare", data={**FORM, "_csrf_token": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    assert "send-again" not in cross_site.text, "another site's form is never offered to be sent again"
    stale = await client.post(
        f"{page}/declare", data={**FORM, "_csrf_token": "stale" * 20}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert stale.status_code == 403
    assert "页面已过期" in stale.text
    assert "您没有权限" not in stale.text
    again = re.search(r'<form method="post" action="([^"]+)" id="send-again">(.*?)</form>', stale.text, re.S)
    assert again
    assert again.group(1) == f"{page}/declare"
    kept = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', again.group(2)))
    assert kept["address_detail"] == "大学东街1号"
    assert kept["_csrf_token"] != "stale" * 20, "a fresh token"
    sent = await client.post(again.group(1), data=kept, follow_redirects=True)
    assert sent.status_code == 200
    assert "绿码" in sent.text, "the answers were declared"
