"""What the provider cannot decide goes to a reviewer: a passport application, reviewed in the
back office with its photos, then issued on the resident's phone."""

import io
from typing import Any

from PIL import Image

from tests.browser.conftest import LiveServer, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, upload_all, wait_for_approval


def test_passport_application_is_reviewed_and_issued(browser: Any, page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150002")
    apply(page, "WANG Fang", "passport", "E98765432")
    upload_all(page)
    page.wait_for_timeout(3500)  # the provider's delay; passports then go to reviewers
    page.reload()
    assert "人工审核中" in page.locator("#state").inner_text()

    staff, desk = staff_page(browser, live_server, "rev.zhao", "reviewer")
    desk.get_by_role("link", name="实名审核队列").click()
    assert "W*** F***" in desk.locator("#queue").inner_text()
    assert serious_accessibility_problems(desk) == []
    desk.locator("#queue li").filter(has_text="W*** F***").get_by_role("link").click()
    assert "E98765432" in desk.content(), "the reviewer sees the full number to compare with the photo"
    photo = desk.get_by_role("img").first
    # waits for the photo to load (a busy machine may not have it at once), and fails if it never does
    desk.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert serious_accessibility_problems(desk) == []
    desk.get_by_role("button", name="通过", exact=True).click()
    assert "已通过" in desk.locator("#notice").inner_text()
    staff.close()

    wait_for_approval(page)


def phone_photo_taken_upright() -> dict[str, Any]:
    """A 12-megapixel JPEG as a phone held upright writes it: the sensor's pixels lie sideways
    (red on the left, blue on the right), the EXIF orientation (6) says to turn them a quarter
    clockwise, and the GPS position is in the EXIF too."""
    image = Image.new("RGB", (4000, 3000), (220, 30, 30))
    image.paste((30, 30, 220), (2000, 0, 4000, 3000))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (40.0, 49.0, 12.0), 3: "E", 4: (111.0, 39.0, 56.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_phone_photo_taken_upright_shows_upright_to_the_reviewer(
    browser: Any, page: Any, live_server: LiveServer
) -> None:
    log_in(page, live_server, "15000150041")
    apply(page, "ZHANG Wei", "passport", "E23456789")
    page.locator("form.photo input[type=file]").first.set_input_files(phone_photo_taken_upright())
    page.get_by_role("button", name="上传").first.click()
    page.wait_for_load_state()
    page.wait_for_timeout(3500)  # the provider's delay; passports then go to reviewers
    page.reload()
    assert "人工审核中" in page.locator("#state").inner_text()

    staff, desk = staff_page(browser, live_server, "rev.qian", "reviewer")
    desk.get_by_role("link", name="实名审核队列").click()
    desk.locator("#queue li").filter(has_text="Z**** W**").get_by_role("link").click()
    photo = desk.get_by_role("img").first
    desk.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    # stored upright at the decoder's half size: portrait, red (the sensor's left) on top
    top, bottom = desk.evaluate(
        """(img) => {
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.drawImage(img, 0, 0);
            const at = (y) => Array.from(context.getImageData(img.naturalWidth / 2, y, 1, 1).data);
            return [[img.naturalWidth, img.naturalHeight, ...at(100)], at(img.naturalHeight - 100)];
        }""",
        photo.element_handle(),
    )
    assert top[:2] == [1500, 2000]
    red, green, blue = top[2:5]
    assert red > 180 > 80 > max(green, blue), f"red on top, got {top[2:]}"
    red, green, blue = bottom[:3]
    assert blue > 180 > 80 > max(red, green), f"blue below, got {bottom}"
    staff.close()
