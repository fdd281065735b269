"""Deleting one's account in chromium: the page says what will happen to each card, refuses
without the box ticked (the message beside it, focusable summary), then deletes and logs out."""

from typing import Any

from tests.browser.conftest import LiveServer, fits_the_screen, log_in, serious_accessibility_problems
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval


def test_a_resident_deletes_their_account(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150096")
    apply(page, "欧阳娜娜", "resident_id", citizen("15010219700101179"))
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)
    page.goto("/")
    page.get_by_role("link", name="注销我的账号").click()
    assert "欧**娜" in page.locator("#erased").inner_text()
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)

    page.get_by_role("button", name="注销我的账号").click()
    assert page.locator("#understood-error").inner_text() == "请勾选确认，表示您要注销账号。"
    page.get_by_label("我知道我的账号和上述数据将被永久删除。").check()
    page.get_by_role("button", name="注销我的账号").click()
    page.wait_for_selector("#deleted")
    assert serious_accessibility_problems(page) == []
    assert "hc_session" not in {cookie["name"] for cookie in page.context.cookies()}
    page.goto("/")
    assert page.url == f"{live_server.url}/login?next=/"
