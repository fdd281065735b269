"""Walk-ins at a designated institution (issue 10.6) in chromium: the clerk's lookup finds no card,
the clerk registers the person, photographs both sides of the ID card with the desk's camera
(chromium's fake camera), waits for the real-name check on a page that refreshes itself, takes
the health declaration at the desk and prints a certificate whose QR verifies."""

from typing import Any

from stdnum.cn import ric

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, staff_page
from tests.browser.test_certificate_desk import download_pdf, find, no_serious_problems, printed_token
from tests.browser.test_code_in_browser import verify

BODY = "15010219380512004"
NUMBER = BODY + ric.calc_check_digit(BODY + "0")  # nobody in the demo data


def test_a_walk_in_is_registered_photographed_declared_and_printed(browser: Any, demo_server: LiveServer) -> None:
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    try:
        context, desk = staff_page(camera, demo_server, "clerk.walkin", "clerk", width=1280)
        context.grant_permissions(["camera"], origin=demo_server.url)
        desk.goto("/staff/certificates")
        find(desk, NUMBER)
        assert "为本人现场登记" in desk.locator("#document_number-error").inner_text()
        desk.get_by_role("button", name="为此人现场登记").click()
        desk.wait_for_url(f"{demo_server.url}/staff/walk-ins")
        assert desk.get_by_label("证件号码").input_value() == NUMBER, "the number looked up goes along"
        no_serious_problems(desk)
        desk.get_by_label("姓名").fill("王老汉")
        desk.get_by_role("button", name="下一步：拍照上传").click()
        desk.wait_for_selector("#walk-in[data-state=awaiting_photos]")
        assert NUMBER not in desk.url
        assert desk.get_by_role("heading", level=1).inner_text().endswith("王*汉")
        no_serious_problems(desk)

        for side in ("front", "back"):
            block = desk.locator(f".photo-side[data-side={side}]")
            block.get_by_role("button", name="使用摄像头").click()
            desk.wait_for_function("document.querySelector('video') && document.querySelector('video').videoWidth > 0")
            block.get_by_role("button", name="拍照").click()
            desk.wait_for_function(f"document.getElementById('photo-{side}').files.length === 1")
            assert "已拍照" in block.locator(".camera-note").inner_text()
            assert block.locator("video").count() == 0, "the camera is closed once the photo is taken"
        desk.get_by_role("button", name="提交照片进行实名核验").click()
        desk.wait_for_selector("#walk-in[data-state=checking]")
        assert "正在进行实名核验" in desk.locator("#walk-in-state").inner_text()
        # the page reloads itself every 5 s until the check (2 s here, then the job) has decided
        desk.wait_for_selector("#walk-in[data-state=issued]", timeout=45_000)
        no_serious_problems(desk)

        desk.get_by_role("link", name="填写健康申报").click()
        desk.get_by_label("今日体温（℃）").fill("36.4")
        desk.get_by_label("现居住区县").fill("150102")
        desk.get_by_label("街道门牌号").fill("新华大街 1 号")
        desk.get_by_label("本人已声明以上内容属实", exact=False).check()
        desk.get_by_role("button", name="提交申报").click()
        desk.wait_for_selector("#notice")
        assert "申报已保存" in desk.locator("#notice").inner_text()
        assert desk.locator("#colour").inner_text() == "绿码"
        no_serious_problems(desk)

        result = verify(demo_server, printed_token(download_pdf(desk, "开具证明（PDF）")))
        assert (result["valid"], result["colour"], result["masked_name"]) == (True, "green", "王*汉")
        context.close()
    finally:
        camera.close()
