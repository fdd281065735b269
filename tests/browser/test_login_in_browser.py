"""A resident logs in on a phone-sized chromium with the code read from the SMS outbox."""

from typing import Any

from tests.browser.conftest import LiveServer, fits_the_screen, serious_accessibility_problems


def test_log_in_with_the_code_from_the_outbox(page: Any, live_server: LiveServer) -> None:
    phone = "13800138000"
    page.goto("/")
    assert page.url == f"{live_server.url}/login?next=/"
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)

    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    status = page.locator("#quota")
    assert "验证码已发送至 138****8000" in status.inner_text()
    assert "该号码今天还可获取 2 次验证码" in status.inner_text()
    assert page.get_by_role("button", name="获取验证码").is_disabled(), "the countdown holds the button"

    page.get_by_label("短信验证码").fill(live_server.outbox_code(phone))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="我的电子健康卡").is_visible()
    assert "138****8000" in page.content()
    assert serious_accessibility_problems(page) == []

    page.get_by_role("link", name="已登录的设备").click()
    assert page.locator("text=本机").is_visible()
    assert serious_accessibility_problems(page) == []


def test_wrong_code_is_shown_beside_the_field(page: Any, live_server: LiveServer) -> None:
    phone = "13800138001"
    page.goto("/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    right = live_server.outbox_code(phone)
    page.get_by_label("短信验证码").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="登录", exact=True).click()
    error = page.locator("#code-error")
    assert error.inner_text() == "验证码错误，请核对最新一条短信；还可尝试 4 次。"
    assert page.get_by_label("短信验证码").get_attribute("aria-invalid") == "true"
    assert serious_accessibility_problems(page) == []


def test_daily_limit_is_reached_and_explained(page: Any, live_server: LiveServer) -> None:
    """The live server allows 3 codes a day, 3 seconds apart."""
    phone = "13900139000"
    page.goto("/login")
    page.get_by_label("手机号").fill(phone)
    send = page.get_by_role("button", name="获取验证码")
    for remaining in (2, 1, 0):
        send.click()
        assert f"该号码今天还可获取 {remaining} 次验证码" in page.locator("#quota").inner_text()
        if remaining:
            # the page's countdown re-enables the button when the spacing has passed
            page.wait_for_function("!document.getElementById('send-code').disabled", timeout=6000)
    assert "明天可再次获取验证码" in page.locator("#quota").inner_text()
    assert send.is_disabled()

    # a fourth try (from a form that still had the button enabled) gets the limit message
    page.evaluate("document.getElementById('send-code').disabled = false")
    send.click()
    message = page.locator("#phone-error").inner_text()
    assert message == "该号码今天的 3 次验证码已用完，请明天再获取；已收到的验证码在有效期内仍可使用。"
    assert serious_accessibility_problems(page) == []


def test_bad_number_is_explained(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("手机号").fill("12345")
    page.get_by_role("button", name="获取验证码").click()
    assert page.locator("#phone-error").inner_text() == "请输入 11 位中国大陆手机号，例如 13800138000。"


def test_english_and_large_text(page: Any) -> None:
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Log in with your mobile number").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Large text").click()
    assert page.locator("html").get_attribute("class") == "large-text"
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size == 20
    assert fits_the_screen(page)
    assert serious_accessibility_problems(page) == []


def test_keyboard_only_login_form(page: Any) -> None:
    page.goto("/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "phone":
            break
    assert page.evaluate("document.activeElement.id") == "phone"


def test_the_accessibility_check_does_find_problems(page: Any) -> None:
    page.goto("/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\">')")
    assert any(problem.startswith("image-alt") for problem in serious_accessibility_problems(page))
