"""An administrator creates a staff account from the back office: the password and the
authenticator enrolment (a QR an authenticator app scans) are shown once, and the new account signs
in with them. Then the administrator disables it and its session ends."""

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import LiveServer, fits_the_screen, new_context, serious_accessibility_problems, staff_page


def test_an_admin_creates_an_account_that_signs_in_with_what_was_shown_once(
    browser: Any, live_server: LiveServer
) -> None:
    admin_context, admin = staff_page(browser, live_server, "boss.gao", "admin", width=1280)
    admin.get_by_role("link", name="工作人员账号").click()
    assert serious_accessibility_problems(admin) == []
    admin.get_by_label("用户名").fill("gate.liu")
    admin.get_by_label("姓名").fill("刘门岗")
    admin.get_by_label("卡口工作人员").check()
    admin.get_by_role("button", name="创建账号").click()
    assert "账号已创建" in admin.locator("h1").inner_text()
    assert serious_accessibility_problems(admin) == []
    password = admin.locator("#new-password").inner_text()
    secret = admin.locator("#new-secret").inner_text()
    shot = Image.open(io.BytesIO(admin.locator("#enrolment-qr").screenshot())).convert("L")
    codes = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1
    enrolment = urlparse(codes[0].text)
    assert (enrolment.scheme, enrolment.netloc, enrolment.path) == ("otpauth", "totp", "/HealthCode:gate.liu")
    assert parse_qs(enrolment.query)["secret"] == [secret]

    admin.get_by_role("link", name="完成，返回账号").click()
    assert password not in admin.content()
    assert secret not in admin.content()
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        admin.go_back()  # the secrets page is not kept (no-store): going back would post again

    # the new staff member, on a phone
    context = new_context(browser, base_url=live_server.url, viewport={"width": 375, "height": 667}, locale="zh-CN")
    phone = context.new_page()
    phone.goto("/staff/login")
    phone.get_by_label("用户名").fill("gate.liu")
    phone.get_by_label("密码").fill(password)
    phone.get_by_label("身份验证器动态码").fill(pyotp.parse_uri(codes[0].text).now())
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{live_server.url}/staff")
    assert phone.locator("#roles").inner_text() == "卡口工作人员"

    # the administrator disables the account; the phone's session ends
    admin.goto("/staff/admin/accounts")
    admin.get_by_role("link", name="gate.liu").click()
    admin.get_by_role("button", name="停用账号").click()
    assert "已停用" in admin.locator("#notice").inner_text()
    phone.reload()
    assert re.search(r"/staff/login$", phone.url)

    # the pages are usable at 375 wide too
    admin.set_viewport_size({"width": 375, "height": 667})
    for path in ("/staff/admin/accounts", "/staff/admin/sites"):
        admin.goto(path)
        assert fits_the_screen(admin), path
        assert serious_accessibility_problems(admin) == []
    context.close()
    admin_context.close()


def test_an_admin_creates_a_site_and_puts_a_checkpoint_account_there(browser: Any, live_server: LiveServer) -> None:
    live_server.cli("staff", "create", "--username", "gate.he", "--role", "checkpoint")
    context, admin = staff_page(browser, live_server, "boss.tian", "admin", width=1280)
    admin.get_by_role("link", name="检查点管理").click()
    admin.get_by_label("检查点名称").fill("呼和浩特东站进站口")
    admin.get_by_label("行政区划代码").fill("159999")
    admin.get_by_role("button", name="创建检查点").click()
    assert "行政区划代码是区县的六位" in admin.locator("#region-error").inner_text()
    assert serious_accessibility_problems(admin) == []
    admin.get_by_label("行政区划代码").fill("150102")
    admin.get_by_label("未测体温者一律不得通行").check()
    admin.get_by_role("button", name="创建检查点").click()
    assert "检查点已创建" in admin.locator("#notice").inner_text()
    row = admin.locator("li[data-account='gate.he']")
    row.get_by_role("combobox").select_option(label="呼和浩特东站进站口 (150102)")
    row.get_by_role("button").click()
    assert "已调到所选检查点" in admin.locator("#notice").inner_text()
    assert "必须测温" in admin.locator("#sites").inner_text()
    assert serious_accessibility_problems(admin) == []
    context.close()
