"""The authority's list desk in chromium: an official chooses test results, reads their columns,
uploads a file with a positive sample, follows the import to its end, and the resident's card
turns red with the test as its reason."""

from datetime import UTC, datetime
from typing import Any

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval


def test_a_positive_sample_uploaded_at_the_desk_turns_the_card_red(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    number = citizen("15010219760606123")
    log_in(page, live_server, "15000150071")
    apply(page, "郑十", "resident_id", number)
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)

    context, desk = staff_page(browser, live_server, "lab.official", "authority", width=1280)
    try:
        desk.goto("/staff/lists")
        kind = desk.locator("#kind")
        kind.focus()
        kind.select_option("tests")
        assert kind.locator("option:checked").inner_text() == "检测结果"
        columns = desk.locator("#columns-tests")
        columns.locator("summary").focus()
        desk.keyboard.press("Enter")
        assert "阳性（positive）或阴性（negative）" in columns.inner_text(), "the result column is explained"
        assert "采样日期" in columns.inner_text()
        assert serious_accessibility_problems(desk) == []
        today = datetime.now(UTC).date().isoformat()  # never after the day in the server's zone (east of UTC)
        content = f"证件号码,采样日期,检测结果,检测机构\n{number},{today},阳性,第一检测中心\n".encode()
        desk.locator("#file").set_input_files({"name": "tests.csv", "mimeType": "text/csv", "buffer": content})
        desk.locator("#upload").click()
        desk.wait_for_selector("#status.import-done", timeout=30_000)
        assert desk.locator("#accepted-rows").inner_text() == "1"
        assert desk.locator("#recoloured-cards").inner_text() == "1"
        assert serious_accessibility_problems(desk) == []
    finally:
        context.close()

    page.reload()
    assert "核酸检测结果为阳性" in page.locator("body").inner_text()
    assert serious_accessibility_problems(page) == []
