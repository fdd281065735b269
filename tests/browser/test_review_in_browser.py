"""What the provider cannot decide goes to a reviewer: a passport application, reviewed in the
back office with its photos, then issued on the resident's phone."""

from typing import Any

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, upload_all, wait_for_approval


def test_passport_application_is_reviewed_and_issued(browser: Any, page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150002")
    apply(page, "WANG Fang", "passport", "E98765432")
    upload_all(page)
    page.wait_for_timeout(3500)  # the provider's delay; passports then go to reviewers
    page.reload()
    assert "人工审核中" in page.locator("#state").inner_text()

    staff, desk = staff_page(browser, live_server, "rev.zhao", "reviewer")
    desk.get_by_role("link", name="实名审核队列").click()
    assert "W*** F***" in desk.locator("#queue").inner_text()
    assert serious_accessibility_problems(desk) == []
    desk.locator("#queue li").filter(has_text="W*** F***").get_by_role("link").click()
    assert "E98765432" in desk.content(), "the reviewer sees the full number to compare with the photo"
    photo = desk.get_by_role("img").first
    assert desk.evaluate("(img) => img.complete && img.naturalWidth > 0", photo.element_handle())
    assert serious_accessibility_problems(desk) == []
    desk.get_by_role("button", name="通过", exact=True).click()
    assert "已通过" in desk.locator("#notice").inner_text()
    staff.close()

    wait_for_approval(page)
