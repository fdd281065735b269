"""An administrator makes a staff API key on the keys page and sees it once; the key works on the
staff API until it is revoked on the same page."""

import json
import re
import urllib.error
import urllib.request
from typing import Any

from tests.browser.conftest import LiveServer, fits_the_screen, new_staff, serious_accessibility_problems, staff_page

KEY = re.compile(r"hcsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def calling_key(live_server: LiveServer, key: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/staff/api-key", headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_an_admin_creates_a_key_and_sees_it_once(browser: Any, live_server: LiveServer) -> None:
    new_staff(live_server, "cdc.system", "authority")
    context, desk = staff_page(browser, live_server, "keys.admin", "admin", width=1280)
    try:
        desk.get_by_role("link", name="工作人员接口密钥").click()
        desk.get_by_label("工作人员账号").select_option("cdc.system")
        desk.get_by_role("button", name="查看该账号的密钥").click()
        assert desk.locator("#keys-empty").inner_text() == "该账号还没有密钥。"
        desk.get_by_role("checkbox", name=re.compile("上传主管部门名单")).check()
        desk.get_by_label("备注（可选）").fill("疾控中心名单系统")
        desk.get_by_role("button", name="生成密钥").click()

        key = desk.locator("#new-key").inner_text().strip()
        assert KEY.fullmatch(key), key
        assert "仅显示这一次" in desk.get_by_role("alert").first.inner_text()
        assert serious_accessibility_problems(desk) == []
        assert fits_the_screen(desk)
        status, body = calling_key(live_server, key)
        assert (status, body["username"], body["scopes"]) == (200, "cdc.system", ["lists"])

        desk.goto("/staff/api-keys?account=cdc.system")
        assert desk.locator("#new-key").count() == 0
        assert key not in desk.content(), "the key is shown once"
        row = desk.locator("#keys tbody tr").first
        assert "疾控中心名单系统" in row.inner_text()
        assert "有效" in row.inner_text()
        desk.set_viewport_size({"width": 375, "height": 667})
        assert fits_the_screen(desk)
        assert serious_accessibility_problems(desk) == []

        row.get_by_role("button", name="撤销密钥 " + body["key_id"]).click()
        assert desk.locator("#notice").inner_text() == "密钥已撤销，不能再使用。"
        assert "已于" in desk.locator("#keys tbody tr").first.inner_text()
        status, body = calling_key(live_server, key)
        assert (status, body["error"]["code"]) == (401, "api_key_revoked")
    finally:
        context.close()
