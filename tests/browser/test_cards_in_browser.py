"""Issue 3's walk-through: apply with a resident ID and photos, wait for approval, add a child by
birth certificate and a sibling, see all three cards."""

import io
import re
from typing import Any

from PIL import Image
from stdnum.cn import ric

from tests.browser.conftest import LiveServer, fits_the_screen, log_in, new_context, serious_accessibility_problems


def citizen(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def photo() -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 560), (90, 120, 150)).save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def upload_all(page: Any) -> None:
    while page.locator("form.photo input[type=file]").count():
        form = page.locator("form.photo").filter(has_not=page.locator(".tag")).first
        form.locator("input[type=file]").set_input_files(photo())
        form.get_by_role("button", name="上传").click()
        page.wait_for_load_state()
        if page.locator("form.photo").filter(has_not=page.locator(".tag")).count() == 0:
            break


def wait_for_approval(page: Any) -> None:
    for _ in range(30):
        if "电子健康卡已签发" in page.locator("#state").inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("the application was not approved in time")


def declare(page: Any, temperature: str, fever: bool, *, from_card_page: bool = True) -> None:
    """Fill and send the declaration form (opened from the card page unless already open)."""
    if from_card_page:
        page.get_by_role("link", name="健康信息申报").click()
    page.get_by_label("今日体温（℃）").fill(temperature)
    if fever:
        page.get_by_label("发热").check()
    page.get_by_label("现居住区县").fill("赛罕区")
    page.get_by_label("街道门牌号").fill("大学东街1号")
    page.get_by_label("本人承诺以上信息真实准确。如有谎报，愿依法承担相应责任。").check()
    page.get_by_role("button", name="提交申报").click()


def apply(page: Any, name: str, document_type: str, number: str, relationship: str | None = None) -> None:
    if relationship:
        page.get_by_role("link", name="新增家人").click()
        page.get_by_label("与您的关系").select_option(relationship)
    else:
        page.get_by_role("link", name="申领我的电子健康卡").click()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("证件类型").select_option(document_type)
    page.get_by_label("证件号码").fill(number)
    page.get_by_role("button", name="下一步：拍照上传").click()


def test_apply_for_myself_a_child_and_a_sibling(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150000")
    assert serious_accessibility_problems(page) == []

    apply(page, "张三丰", "resident_id", citizen("15010219880808123").lower())
    assert serious_accessibility_problems(page) == []
    page.locator("form.photo").first.get_by_role("button", name="上传").click()  # no photo chosen yet
    assert page.locator("#photo-front-error").inner_text() == "请先选择照片，再点“上传”。"
    upload_all(page)
    assert (
        "实名核验进行中" in page.locator("#state").inner_text()
        or "电子健康卡已签发" in page.locator("#state").inner_text()
    )
    wait_for_approval(page)
    assert fits_the_screen(page)

    page.get_by_role("link", name="返回首页").click()
    apply(page, "张小宝", "birth_certificate", "P150111222", "child")
    upload_all(page)
    wait_for_approval(page)

    page.get_by_role("link", name="返回首页").click()
    apply(page, "张三妹", "resident_id", citizen("15010220000101234"), "sibling")
    upload_all(page)
    wait_for_approval(page)

    page.get_by_role("link", name="返回首页").click()
    own = page.locator("section", has=page.get_by_role("heading", name="我的电子健康卡"))
    assert "张*丰" in own.inner_text()
    family = page.locator("#family").inner_text()
    assert "张*宝" in family
    assert "子女" in family
    assert "张*妹" in family
    assert "兄弟姐妹" in family
    assert family.count("已签发") == 2
    assert serious_accessibility_problems(page) == []

    # no code before a first declaration (guide steps 2-3): the pages lead to declaring
    assert page.locator("#declare-first").inner_text() == "申报后领取健康码"
    assert "尚无健康码：请先申报" in own.inner_text()
    page.get_by_role("link", name="显示家人", exact=True).click()
    assert page.locator("[data-code]").count() == 0
    assert page.locator("[data-undeclared]").count() == 2
    assert serious_accessibility_problems(page) == []
    page.get_by_role("link", name="为张*宝申报").click()
    assert "健康码将根据本次申报生成" in page.locator("#first-declaration").inner_text()
    page.context.clear_cookies(name="hc_csrf")  # the form stays open too long: its token goes stale
    declare(page, "36.6", fever=False, from_card_page=False)
    assert page.get_by_role("heading", name="页面已过期").is_visible()
    page.get_by_role("button", name="重新提交").click()
    page.goto("/family/codes")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('[data-code] canvas')).every(c => c.hasAttribute('data-version'))"
    )
    assert page.locator("[data-code] canvas").count() == 1, "显示家人 shows the declared member's live code"
    assert page.locator("[data-undeclared]").count() == 1
    assert serious_accessibility_problems(page) == []


def test_bad_number_is_explained_beside_the_field(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150001")
    page.get_by_role("link", name="申领我的电子健康卡").click()
    page.get_by_label("姓名").fill("李四")
    body = "15010219880808123"
    wrong = "1" if citizen(body)[-1] != "1" else "2"
    page.get_by_label("证件号码").fill(body + wrong)
    page.get_by_role("button", name="下一步：拍照上传").click()
    error = page.locator("#document_number-error").inner_text()
    assert "最后一位" in error
    assert page.get_by_label("证件号码").get_attribute("aria-invalid") == "true"
    assert serious_accessibility_problems(page) == []

    # sure the number is right: support gets the very number refused, with the name, in words
    page.get_by_role("button", name="联系客服（自动带上您填写的内容）").click()
    assert page.get_by_label("姓名").input_value() == "李四"
    assert page.get_by_label("证件号码").input_value() == body + wrong
    said = page.locator("#refusal").inner_text()
    assert said.startswith("系统提示：")
    assert "最后一位" in said
    assert "document_checksum" not in page.locator("main").inner_text(), "words, never codes"
    assert serious_accessibility_problems(page) == []
    page.get_by_label("遇到了什么问题？需要什么帮助？").fill("身份证号没有错，系统说校验位错误")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_url("**/support/tickets?filed=*")
    assert "身份证号没有错" in page.locator("main").inner_text()


def test_only_the_verified_owner_takes_their_card_off_a_family_phone(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    log_in(page, live_server, "15000150011")
    apply(page, "王大", "resident_id", citizen("15010219600101123"))
    upload_all(page)
    wait_for_approval(page)
    assert re.fullmatch(rf"{live_server.url}/cards/[0-9a-f]{{32}}", page.url), "an opaque card identifier"
    assert "健康卡号" not in page.locator("main").inner_text(), "the national card ID stays off the page"
    page.get_by_role("link", name="返回首页").click()
    apply(page, "王小川", "birth_certificate", "Q150222333", "child")
    upload_all(page)
    wait_for_approval(page)

    # the grown-up child types the name and number on their own phone (二次申领), nothing proved yet
    context = new_context(browser, base_url=live_server.url, viewport={"width": 375, "height": 667}, locale="zh-CN")
    child = context.new_page()
    try:
        log_in(child, live_server, "15000150012")
        apply(child, "王小川", "birth_certificate", "Q150222333")
        assert child.get_by_role("heading", name="显示这张卡的家人手机").count() == 0
        assert child.get_by_role("button", name="不再在该手机显示").count() == 0

        # with the photo in and the claim verified, the owner may take the card off the parent's phone
        upload_all(child)
        wait_for_approval(child)
        assert child.get_by_role("heading", name="显示这张卡的家人手机").count() == 1
        assert serious_accessibility_problems(child) == []
        child.get_by_role("button", name="不再在该手机显示").click()
        # a confirmation first, then a message saying what happened
        assert child.get_by_role("heading", name="不再在该家人手机上显示您的卡？").is_visible()
        assert serious_accessibility_problems(child) == []
        child.get_by_role("button", name="确认移除").click()
        assert child.locator("#notice").inner_text() == "该家人手机已不再显示这张卡，并已短信通知对方。"
        assert child.get_by_role("button", name="不再在该手机显示").count() == 0
    finally:
        context.close()
    text = live_server.cli("sms", "outbox", "--phone", "15000150011", "--json").splitlines()[-1]
    assert "王*川已将其电子健康卡从您的手机上移除" in text
    page.goto("/")
    assert "王*川" not in page.locator("main").inner_text()

    # "this card is not me" asks first too, and says what happened
    page.get_by_role("link", name="王*").first.click()
    page.get_by_role("button", name="这不是我的卡").click()
    assert page.get_by_role("heading", name="这张卡不是您的吗？").is_visible()
    page.get_by_role("link", name="不，保留").click()
    page.get_by_role("button", name="这不是我的卡").click()
    page.get_by_role("button", name="确认移除").click()
    assert "这张卡已从本手机移除" in page.locator("#notice").inner_text()
    assert page.get_by_role("link", name="申领我的电子健康卡").is_visible()
