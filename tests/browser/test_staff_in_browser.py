"""A staff member signs in with password and authenticator code; lockout is explained."""

import json
from typing import Any

import pyotp

from tests.browser.conftest import STAFF_PASSWORD, LiveServer, new_staff, serious_accessibility_problems

PASSWORD = STAFF_PASSWORD


def create(live_server: LiveServer, username: str) -> str:
    return new_staff(live_server, username, "checkpoint")


def test_sign_in_with_second_factor(page: Any, live_server: LiveServer) -> None:
    secret = create(live_server, "gate.zhang")
    page.goto("/staff/login")
    assert serious_accessibility_problems(page) == []
    page.get_by_label("用户名").fill("gate.zhang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("身份验证器动态码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/staff")
    assert page.locator("#roles").inner_text() == "卡口工作人员"
    assert serious_accessibility_problems(page) == []
    entries = [json.loads(line) for line in live_server.cli("audit", "tail", "--json", "--limit", "50").splitlines()]
    assert any(e["action"] == "staff.sign_in" and e["actor"] == e["subject"] for e in entries)


def test_lockout_after_five_wrong_tries(page: Any, live_server: LiveServer) -> None:
    secret = create(live_server, "gate.wang")
    page.goto("/staff/login")
    for _ in range(5):
        page.get_by_label("用户名").fill("gate.wang")
        page.get_by_label("密码").fill("Wrong-Password-99")
        page.get_by_label("身份验证器动态码").fill("000000")
        page.get_by_role("button", name="登录").click()
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("身份验证器动态码").fill(pyotp.TOTP(secret).now())
    page.get_by_label("用户名").fill("gate.wang")
    page.get_by_role("button", name="登录").click()
    assert "账号已锁定" in page.locator("[role=alert]").first.inner_text()
