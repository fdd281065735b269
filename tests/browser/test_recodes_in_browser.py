"""Recoding in chromium: one official proposes with internal evidence and a note for the resident, a
second approves, and the resident sees the reason and the note on the card page, never the evidence."""

from typing import Any

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval

EVIDENCE = "G1234次列车5车厢，与确诊病例同车厢，新城区疾控流调二组核实"
NOTE = "请居家隔离，社区工作人员会电话联系您。"


def test_the_resident_reads_the_reason_and_the_note_never_the_evidence(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    number = citizen("15010519800101234")
    log_in(page, live_server, "15000150021")
    apply(page, "钱七", "resident_id", number)
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)

    proposer, desk = staff_page(browser, live_server, "cdc.proposer", "authority", width=1280)
    try:
        desk.get_by_role("link", name="人工改码（双人复核）与申诉").click()
        desk.get_by_label("证件号码").fill(number)
        desk.get_by_label("新的颜色").select_option("red")
        desk.get_by_label("原因", exact=True).select_option("traced_close_contact")
        evidence = desk.get_by_label("证据（仅工作人员可见）")
        assert "居民看不到这段内容" in desk.locator("#evidence-hint").inner_text(), "the form says who reads what"
        evidence.fill(EVIDENCE)
        desk.get_by_label("给居民的说明（选填）").fill(NOTE)
        assert serious_accessibility_problems(desk) == []
        desk.get_by_role("button", name="提交", exact=True).click()
        desk.wait_for_selector("#notice")
    finally:
        proposer.close()

    approver, desk = staff_page(browser, live_server, "cdc.approver", "authority", width=1280)
    try:
        desk.goto("/staff/recodes")
        waiting = desk.locator("#waiting li").first
        assert EVIDENCE in waiting.inner_text(), "the second official decides on the evidence"
        assert NOTE in waiting.inner_text()
        waiting.get_by_role("button", name="通过").click()
        desk.wait_for_selector("#notice")
    finally:
        approver.close()

    page.reload()
    recodes = page.locator("#recodes").inner_text()
    assert "经流行病学调查判定为密切接触者" in recodes
    assert NOTE in recodes
    assert "G1234" not in page.locator("body").inner_text()
    assert serious_accessibility_problems(page) == []
    texts = live_server.cli("sms", "outbox", "--phone", "15000150021", "--json")
    assert NOTE in texts
    assert "G1234" not in texts
