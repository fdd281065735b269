"""A resident's ticket worked at the support desk: the agent opens it from the queue, takes it and
replies; the resident reads the reply on their ticket page."""

from typing import Any

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems, staff_page


def test_agent_answers_a_ticket_and_the_resident_reads_the_reply(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    log_in(page, live_server, "15000150061")
    page.goto(f"{live_server.url}/support/tickets/new?category=other")
    page.get_by_label("遇到了什么问题？需要什么帮助？").fill("收不到验证码，提示发送次数过多")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_url("**/support/tickets?filed=*")

    staff, desk = staff_page(browser, live_server, "help.sun", "support", width=1280)
    desk.get_by_role("link", name="客服工单").click()
    assert serious_accessibility_problems(desk) == []
    desk.locator("#queue li").last.get_by_role("link").click()
    assert "收不到验证码" in desk.locator("#ticket-text").inner_text()
    assert serious_accessibility_problems(desk) == []
    desk.get_by_role("button", name="由我处理").click()
    assert "由您处理" in desk.locator("#notice").inner_text()
    desk.get_by_role("button", name="重置今天的短信次数").click()
    assert "重新从零计数" in desk.locator("#notice").inner_text()
    desk.get_by_label("回复内容").fill("已为您重置今天的验证码次数，请重新获取。")
    desk.get_by_label("回复后的状态").select_option("solved")
    desk.get_by_role("button", name="发送回复").click()
    assert "回复已发送" in desk.locator("#notice").inner_text()
    assert "已解决" in desk.locator("#status").inner_text()
    assert serious_accessibility_problems(desk) == []
    staff.close()

    page.goto(f"{live_server.url}/support/tickets")
    mine = page.locator("main").inner_text()
    assert "已为您重置今天的验证码次数" in mine
    assert "已解决" in mine
    assert serious_accessibility_problems(page) == []
