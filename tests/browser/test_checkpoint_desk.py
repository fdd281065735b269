"""The checkpoint desk (SPEC §8) in chromium: a scanner types a live code into the focused input,
the verdict fills the screen; then the network goes away, the page checks codes by itself against
the keys and revocations it cached, keeps the scans, and sends them when the network is back,
where a fever taken offline turns the person's code yellow."""

import json
import re
import urllib.request
from typing import Any

from healthcode.cli.demo_people import DEMO_PEOPLE
from tests.api.test_verifications import tampered
from tests.browser.conftest import LiveServer, fits_the_screen, serious_accessibility_problems, staff_page

DESK = "/staff/checkpoint"
PERSON = next(person for person in DEMO_PEOPLE if person.colour == "green")


def call(server: LiveServer, method: str, path: str, body: object = None, bearer: str = "") -> Any:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {bearer}"} if bearer else {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def live_code(server: LiveServer, phone: str) -> dict[str, Any]:
    """What the resident's app gets: logs in by SMS and fetches the live code of its own card."""
    call(server, "POST", "/api/v1/auth/sms-codes", {"phone": phone})
    session = call(server, "POST", "/api/v1/auth/sessions", {"phone": phone, "code": server.outbox_code(phone)})
    bearer = session["token"]
    cards = call(server, "GET", "/api/v1/cards", bearer=bearer)
    card_id = next(card["card_id"] for card in cards if card["relationship"] == "self")
    return dict(call(server, "GET", f"/api/v1/cards/{card_id}/code", bearer=bearer))


def no_serious_problems(page: Any) -> None:
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)


def test_scanning_online_then_offline(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "gate.wang", "checkpoint")
    site = re.search(r"\d+", demo_server.cli("sites", "create", "新华广场东门", "--region", "150102"))
    assert site
    demo_server.cli("sites", "bind", "gate.wang", site.group(0))
    try:
        desk.goto(DESK)
        desk.wait_for_selector("#offline-status[data-state=ready]")
        assert desk.evaluate("navigator.serviceWorker.ready.then(() => true)"), "the desk is kept for offline use"
        assert "离线核验已就绪" in desk.locator("#offline-status").inner_text()
        assert desk.evaluate("document.activeElement.id") == "token", "the scanner types into the input"
        no_serious_problems(desk)

        # online: a keyboard-wedge scanner types the code and presses Enter
        token = live_code(demo_server, PERSON.phone)["token"]
        desk.keyboard.type(token)
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#result[data-reason=ok]")
        assert desk.locator("#verdict").inner_text() == "绿码"
        assert desk.locator("#last-four").inner_text() == PERSON.number[-4:]
        no_serious_problems(desk)
        desk.get_by_role("button", name="放行", exact=True).click()
        desk.wait_for_selector("#notice")

        # offline: the page checks by itself and says with what
        context.set_offline(True)
        desk.locator("#token").fill(token)
        desk.locator("#token").press("Enter")
        screen = desk.locator("#offline-result")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "ok"
        assert "colour-green" in (screen.get_attribute("class") or "")
        assert desk.locator("#offline-verdict").inner_text() == "绿码"
        assert desk.locator("#offline-name").inner_text() == PERSON.name[0] + "*"
        assert desk.locator("#offline-last-four").inner_text() == PERSON.number[-4:]
        assert "在本机核验" in desk.locator("#offline-source").inner_text()
        no_serious_problems(desk)
        desk.locator("#offline-temperature").fill("99")
        desk.locator("#offline-deny").click()
        assert "34.0" in desk.locator("#offline-temperature-error").inner_text()
        desk.locator("#offline-temperature").fill("38.5")
        desk.locator("#offline-deny").click()
        screen.wait_for(state="hidden")
        assert desk.evaluate("document.activeElement.id") == "token"
        assert "1" in desk.locator("#offline-queue").inner_text()

        desk.locator("#token").fill(tampered(token))
        desk.locator("#token").press("Enter")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "bad_signature"
        assert desk.locator("#offline-verdict").inner_text() == "不予认可"
        desk.locator("#offline-next").click()
        assert "2" in desk.locator("#offline-queue").inner_text()
        assert desk.locator("#offline-status").get_attribute("data-state") == "offline"
        assert "无网络" in desk.locator("#offline-status").inner_text()

        # the desk opens again without network, with what it kept
        desk.reload()
        desk.wait_for_selector("#offline-status[data-state=offline]")
        assert "2" in desk.locator("#offline-queue").inner_text()
        assert desk.evaluate("document.activeElement.id") == "token"

        # the network is back: the scans are sent, and the fever recolours the card
        context.set_offline(False)
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        desk.wait_for_function("document.getElementById('offline-queue').textContent.includes('已发送')")
        desk.reload()
        logged = desk.locator("#scans li").all_inner_texts()
        assert sum("离线核验" in line for line in logged) == 2
        assert any("38.5" in line and "未放行" in line for line in logged), logged
        assert live_code(demo_server, PERSON.phone)["colour"] == "yellow"
    finally:
        context.close()
