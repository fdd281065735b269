"""What the provider cannot decide goes to a reviewer: a passport application, reviewed in the
back office with its photos, then issued on the resident's phone."""

import re
from typing import Any

import pyotp

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems
from tests.browser.test_cards_in_browser import apply, upload_all, wait_for_approval
from tests.browser.test_staff_in_browser import PASSWORD


def test_passport_application_is_reviewed_and_issued(browser: Any, page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150002")
    apply(page, "WANG Fang", "passport", "E98765432")
    upload_all(page)
    page.wait_for_timeout(3500)  # the provider's delay; passports then go to reviewers
    page.reload()
    assert "人工审核中" in page.locator("#state").inner_text()

    output = live_server.cli("staff", "create", "--username", "rev.zhao", "--role", "reviewer", "--password", PASSWORD)
    found = re.search(r"authenticator secret: (\w+)", output)
    assert found
    staff = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800}, locale="zh-CN")
    desk = staff.new_page()
    desk.goto("/staff/login")
    desk.get_by_label("用户名").fill("rev.zhao")
    desk.get_by_label("密码").fill(PASSWORD)
    desk.get_by_label("身份验证器动态码").fill(pyotp.TOTP(found.group(1)).now())
    desk.get_by_role("button", name="登录").click()
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
