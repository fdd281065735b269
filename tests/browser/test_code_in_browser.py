"""Issue 5's proof: the code page's QR, read back from a chromium screenshot with zxing-cpp,
verifies; the page is light and says plainly when it cannot refresh."""

import io
import json
import urllib.request
from typing import Any

import zxingcpp
from PIL import Image

from tests.browser.conftest import LiveServer, fits_the_screen, log_in, serious_accessibility_problems
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval


def verify(live_server: LiveServer, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/verifications",
        data=json.dumps({"token": token}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def test_the_qr_on_the_code_page_verifies(page: Any, live_server: LiveServer) -> None:
    sizes: dict[str, int] = {}
    page.on(
        "response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok and r.request.method == "GET" else None
    )
    log_in(page, live_server, "15000150004")
    apply(page, "孙七", "resident_id", citizen("15010219950505055"))
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)  # the code is made from the first declaration
    sizes.clear()
    page.get_by_role("link", name="出示健康码").click()
    canvas = page.locator("[data-code] canvas")
    page.wait_for_function("document.querySelector('[data-code] canvas').hasAttribute('data-version')")
    assert int(canvas.get_attribute("data-version") or 99) <= 10
    assert canvas.get_attribute("aria-label") == "绿码二维码"
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)
    page_weight = sum(size for url, size in sizes.items() if "/api/" not in url)
    assert page_weight < 60_000, sizes

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(canvas.screenshot())), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    token = found[0].text
    assert token.startswith("HC1:")
    result = verify(live_server, token)
    assert (result["valid"], result["reason"], result["colour"], result["masked_name"]) == (True, "ok", "green", "孙*")

    # the next refresh fails: the page says so and how long the code still lasts
    page.route("**/api/v1/cards/*/code", lambda route: route.abort())
    page.wait_for_function("document.querySelector('.code-status').textContent.length > 0", timeout=15_000)
    assert "网络不佳" in page.locator(".code-status").inner_text()
