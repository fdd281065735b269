"""Issue 4's walk-through: declare a fever, see yellow with its reason, correct the declaration,
see green; an imported close-contact list turns the card red, and declaring again does not clear it."""

from typing import Any

from tests.browser.conftest import LiveServer, fits_the_screen, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval


def colour(page: Any) -> str:
    return str(page.locator("#colour .colour-badge").inner_text())


def test_fever_correction_and_an_authority_list(browser: Any, page: Any, live_server: LiveServer) -> None:
    number = citizen("15010519870412345")
    log_in(page, live_server, "15000150003")
    apply(page, "赵六", "resident_id", number)
    upload_all(page)
    wait_for_approval(page)
    assert page.get_by_role("heading", name="尚无健康码").is_visible(), "no colour before the first declaration"

    declare(page, "38.5", fever=True)
    assert page.get_by_role("heading", name="提交后健康码将变为黄码").is_visible()
    assert "发热" in page.locator(".reasons").inner_text()
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="确认提交").click()
    assert colour(page) == "黄码"
    assert "发热" in page.locator("#reasons").inner_text()
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)

    page.get_by_role("link", name="健康信息申报").click()  # the correction (FAQ 13/14) keeps the address
    assert page.get_by_label("街道门牌号").input_value() == "大学东街1号"
    assert "赛罕区" in page.get_by_label("现居住区县").input_value()
    page.go_back()
    declare(page, "36.5", fever=False)  # green answers need no confirmation
    assert colour(page) == "绿码"
    assert page.locator("#notice").inner_text().startswith("申报成功")

    staff, desk = staff_page(browser, live_server, "cdc.li", "authority", width=1024)
    desk.get_by_role("link", name="疾控名单与风险地区").click()
    assert serious_accessibility_problems(desk) == []
    desk.get_by_label("名单类型").select_option("cases")
    csv = f"证件号码,名单类型,起始日期\n{number},密切接触者,2026-01-01\n".encode()
    desk.get_by_label("文件（CSV 或 XLSX）").set_input_files(
        {"name": "close-contacts.csv", "mimeType": "text/csv", "buffer": csv}
    )
    desk.get_by_role("button", name="上传并导入").click()
    desk.wait_for_function("document.getElementById('status').classList.contains('import-done')", timeout=20_000)
    assert serious_accessibility_problems(desk) == []
    staff.close()

    page.reload()
    assert colour(page) == "红码"
    assert "密切接触者" in page.locator("#reasons").inner_text()
    declare(page, "36.4", fever=False)
    assert colour(page) == "红码", "a declaration never clears an authority list"
