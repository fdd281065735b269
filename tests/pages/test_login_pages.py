"""Server-rendered pages: login by SMS, field errors beside the field, language, large text."""

import re

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.models import SmsOutboxMessage
from healthcode.domain.clock import FixedClock
from healthcode.staff.service import StaffService

Client = AsyncTestClient[Litestar]
PHONE = "13800138000"


async def csrf(client: Client, path: str = "/login") -> str:
    page = await client.get(path)
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, "the form carries a CSRF token"
    return found.group(1)


async def post_form(client: Client, path: str, fields: dict[str, str], token: str) -> str:
    response = await client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)
    return response.text


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>([^<]+)<', html)
    assert found, f"no error shown beside {field}"
    return found.group(1)


async def test_login_page_is_chinese_by_default_and_names_the_hotline(client: Client) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN"' in page.text
    assert "手机号登录" in page.text
    assert "15248114681" in page.text
    assert "0471-4607155" in page.text
    assert "09:00-12:00, 14:00-17:00" in page.text


async def test_english_on_request(client: Client) -> None:
    switched = await client.get("/prefs/language/en?next=/login", follow_redirects=False)
    assert switched.status_code in (302, 303)
    assert switched.headers["location"] == "/login"
    page = await client.get("/login")
    assert '<html lang="en"' in page.text
    assert "Log in with your mobile number" in page.text


async def test_browser_language_is_honoured(client: Client) -> None:
    page = await client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Get code" in page.text


async def test_large_text_mode(client: Client) -> None:
    await client.get("/prefs/large-text?on=true&next=/login")
    assert 'class="large-text"' in (await client.get("/login")).text
    await client.get("/prefs/large-text?on=false&next=/login")
    assert 'class="large-text"' not in (await client.get("/login")).text


async def test_preferences_never_redirect_off_site(client: Client) -> None:
    response = await client.get("/prefs/language/en?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


async def test_send_code_then_log_in(client: Client, db: AsyncSession) -> None:
    token = await csrf(client)
    html = await post_form(client, "/login/code", {"phone": PHONE}, token)
    assert "验证码已发送至 138****8000" in html
    assert "该号码今天还可获取 4 次验证码" in html
    code = await db.scalar(select(SmsOutboxMessage.code).where(SmsOutboxMessage.phone == PHONE))
    assert code
    response = await client.post(
        "/login", data={"phone": PHONE, "code": code, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "hc_session" in response.cookies
    home = await client.get("/")
    assert "我的电子健康卡" in home.text
    assert "138****8000" in home.text


@pytest.mark.parametrize(
    ("phone", "field", "message"),
    [
        ("", "phone", "请输入手机号。"),
        ("1380013800", "phone", "请输入 11 位中国大陆手机号，例如 13800138000。"),
    ],
)
async def test_bad_phone_shows_beside_the_field(client: Client, phone: str, field: str, message: str) -> None:
    html = await post_form(client, "/login/code", {"phone": phone}, await csrf(client))
    assert field_error(html, field) == message
    assert 'aria-invalid="true"' in html


async def test_wrong_code_shows_beside_the_code(client: Client, db: AsyncSession) -> None:
    token = await csrf(client)
    await post_form(client, "/login/code", {"phone": PHONE}, token)
    html = await post_form(client, "/login", {"phone": PHONE, "code": "12"}, token)
    assert field_error(html, "code") == "验证码是短信中的 6 位数字。"
    sent = await db.scalar(select(SmsOutboxMessage.code))
    wrong = "999999" if sent != "999999" else "888888"
    html = await post_form(client, "/login", {"phone": PHONE, "code": wrong}, token)
    assert field_error(html, "code") == "验证码错误，请核对最新一条短信；还可尝试 4 次。"
    assert f'value="{PHONE}"' in html, "the number stays filled in"


async def test_resend_too_soon_says_when(client: Client, clock: FixedClock) -> None:
    token = await csrf(client)
    await post_form(client, "/login/code", {"phone": PHONE}, token)
    clock.advance(seconds=20)
    html = await post_form(client, "/login/code", {"phone": PHONE}, token)
    assert field_error(html, "phone") == "验证码刚刚已发送，请在 40 秒后再获取。"
    assert 'data-wait="40"' in html


async def test_forms_need_the_csrf_token(client: Client) -> None:
    await client.get("/login")
    response = await client.post("/login/code", data={"phone": PHONE})
    assert response.status_code == 403


async def test_home_and_sessions_need_a_login(client: Client) -> None:
    for path in ("/", "/account/sessions"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/login")


async def test_unknown_page_is_a_page_not_json(client: Client) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面或资源不存在" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_dev_outbox_page_lists_texts(client: Client) -> None:
    token = await csrf(client)
    await post_form(client, "/login/code", {"phone": PHONE}, token)
    page = await client.get(f"/dev/sms-outbox?phone={PHONE}")
    assert "【健康码】您的登录验证码为" in page.text


async def test_staff_sign_in_and_shell(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    created = await StaffService(db, settings, clock).create(
        "lisi", "李四", ["reviewer", "admin"], password="Li-Password-2026"
    )
    token = await csrf(client, "/staff/login")
    bad = await client.post(
        "/staff/login", data={"username": "lisi", "password": "nope", "totp": "000000", "_csrf_token": token}
    )
    assert bad.status_code == 401
    assert field_error(bad.text, "password") == "用户名、密码或动态码错误。"
    good = await client.post(
        "/staff/login",
        data={
            "username": "lisi",
            "password": "Li-Password-2026",
            "totp": pyotp.TOTP(created.totp_secret).at(clock.now()),
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    shell = await client.get("/staff")
    assert "李四" in shell.text
    assert "实名审核员" in shell.text
    assert "系统管理员" in shell.text


async def test_staff_shell_needs_sign_in(client: Client) -> None:
    response = await client.get("/staff", follow_redirects=False)
    assert response.headers["location"] == "/staff/login"
