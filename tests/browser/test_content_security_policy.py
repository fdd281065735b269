"""The pages work under their own Content-Security-Policy: no inline script or style runs but the
code page's own (allowed by hash), and chromium reports no violation on the way through login,
the code page (in Chinese and in Mongolian) and the checkpoint desk."""

from typing import Any
from urllib.parse import urlparse

import pyotp

from healthcode.cli.demo_people import DEMO_PEOPLE
from tests.browser.conftest import STAFF_PASSWORD, LiveServer, new_staff
from tests.browser.test_checkpoint_desk import DESK, ResidentApp, bind_to_a_site


def test_login_code_page_and_desk_run_under_the_policy(browser: Any, demo_server: LiveServer) -> None:
    context = browser.new_context(base_url=demo_server.url, viewport={"width": 375, "height": 667}, locale="zh-CN")
    violations: list[str] = []
    context.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: violations.append(str(error)))
        person = next(p for p in DEMO_PEOPLE if p.colour == "green")
        page.goto("/login")
        page.get_by_label("手机号").fill(person.phone)
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_label("短信验证码").fill(demo_server.outbox_code(person.phone))
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("link", name="出示健康码").click()
        page.locator("[data-code] canvas[data-version]").wait_for()  # drawn by the inline scripts
        # in Mongolian the code page carries its language's stylesheet inside too, allowed by hash
        page.goto(f"/prefs/language/mn?next={urlparse(page.url).path}")
        page.locator("[data-code] canvas[data-version]").wait_for()
        assert page.locator(".brand").evaluate("node => getComputedStyle(node).writingMode") == "vertical-lr"
        page.goto("/prefs/language/zh_CN?next=/")

        secret = new_staff(demo_server, "gate.csp", "checkpoint")
        bind_to_a_site(demo_server, "gate.csp")
        desk = context.new_page()
        desk.goto("/staff/login")
        desk.get_by_label("用户名").fill("gate.csp")
        desk.get_by_label("密码").fill(STAFF_PASSWORD)
        desk.get_by_label("身份验证器动态码").fill(pyotp.TOTP(secret).now())
        desk.get_by_role("button", name="登录").click()
        desk.goto(DESK)
        desk.locator("#offline-status[data-state=ready]").wait_for()
        desk.locator("#token").fill(ResidentApp(demo_server, person.phone).live_code()["token"])
        desk.locator("#token").press("Enter")
        desk.locator("#result[data-reason=ok]").wait_for()
    finally:
        context.close()
    assert violations == []
