"""A resident's ticket worked at the support desk: the agent opens it from the queue, takes it and
replies; the resident reads the reply on their ticket page. A card on an old phone is moved to the
new one from the ticket, after the agent compared the resident's document photo (FAQ 8)."""

from typing import Any

from tests.browser.conftest import LiveServer, log_in, new_context, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, photo, upload_all, wait_for_approval


def test_agent_answers_a_ticket_and_the_resident_reads_the_reply(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    log_in(page, live_server, "15000150461")
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


def test_a_card_on_an_old_phone_is_moved_to_the_new_one_from_the_ticket(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    """FAQ 8: the card is bound to an old phone; the resident, on the new phone, files a ticket for
    the occupied phone with a photo of their document; the agent looks at the photo and re-binds."""
    number = citizen("15010219720202345")
    log_in(page, live_server, "15000150471")  # the old phone
    apply(page, "赵六一", "resident_id", number)
    upload_all(page)
    wait_for_approval(page)

    context = new_context(browser, base_url=live_server.url, viewport={"width": 360, "height": 640}, locale="zh-CN")
    phone = context.new_page()
    log_in(phone, live_server, "15000150472")  # the new phone
    phone.goto("/support/tickets/new?category=phone_taken")
    phone.get_by_label("姓名").fill("赵六一")
    phone.get_by_label("证件类型").select_option("resident_id")
    phone.get_by_label("证件号码").fill(number)
    phone.get_by_label("遇到了什么问题？需要什么帮助？").fill("旧手机号已停用，卡还绑定在旧手机上")
    phone.get_by_label("图片（可选）").set_input_files(photo())
    assert serious_accessibility_problems(phone) == []
    phone.get_by_role("button", name="提交工单").click()
    phone.wait_for_url("**/support/tickets?filed=*")
    ticket = phone.url.rsplit("=", 1)[1]

    staff, desk = staff_page(browser, live_server, "help.qian", "support", width=1280)
    desk.get_by_role("link", name="客服工单").click()
    desk.locator(f'a[href="/staff/support/{ticket}"]').click()
    assert number in desk.locator("#document-number").inner_text()
    assert desk.locator("#ticket-photo").count() == 0, "the photo is opened only on request"
    desk.get_by_role("link", name="查看图片").click()
    picture = desk.get_by_role("img", name="居民随工单发送的图片")
    desk.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    assert serious_accessibility_problems(desk) == []
    desk.get_by_role("button", name="将卡改绑到居民的手机").click()
    assert "勾选" in desk.locator("#rebind-error").inner_text(), "the comparison must be confirmed"
    desk.get_by_label("图片中是这份证件，且上面是居民本人的姓名").check()
    desk.get_by_role("button", name="将卡改绑到居民的手机").click()
    assert "卡已改绑到居民的新手机" in desk.locator("#notice").inner_text()
    assert "居民本人的手机" in desk.locator("#case-card").inner_text()
    assert serious_accessibility_problems(desk) == []
    staff.close()

    phone.goto("/support/tickets")
    assert "此卡已改绑到本手机" in phone.locator(f"#ticket-{ticket}").inner_text()
    phone.goto("/")
    assert "赵*一" in phone.locator("main").inner_text()
    context.close()
    page.goto("/")
    assert "赵*一" not in page.locator("main").inner_text(), "the old phone no longer shows the card"
