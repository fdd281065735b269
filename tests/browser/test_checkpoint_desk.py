"""The checkpoint desk (SPEC §8) in chromium: a scanner types a live code into the focused input,
the page checks it against the keys and revocations it keeps and the verdict fills the screen at
once, on one page for the whole shift; when the network goes away nothing changes for the official,
the scans wait on the device and are sent when the network is back, where a fever taken offline
turns the person's code yellow."""

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import segno
from PIL import Image

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import generate_signing_key
from healthcode.domain.tokens.format import decode_claims, open_envelope
from tests.api.test_verifications import tampered
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    fits_the_screen,
    serious_accessibility_problems,
    staff_page,
)
from tests.integration.test_keys import token_for

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


class ResidentApp:
    """What the resident's app does: logs in by SMS once, then fetches live codes of its own card."""

    def __init__(self, server: LiveServer, phone: str):
        self.server = server
        call(server, "POST", "/api/v1/auth/sms-codes", {"phone": phone})
        session = call(server, "POST", "/api/v1/auth/sessions", {"phone": phone, "code": server.outbox_code(phone)})
        self.bearer = session["token"]
        cards = call(server, "GET", "/api/v1/cards", bearer=self.bearer)
        self.card_id = next(card["card_id"] for card in cards if card["relationship"] == "self")

    def live_code(self) -> dict[str, Any]:
        return dict(call(self.server, "GET", f"/api/v1/cards/{self.card_id}/code", bearer=self.bearer))


def bind_to_a_site(server: LiveServer, username: str) -> None:
    site = re.search(r"\d+", server.cli("sites", "create", "新华广场东门", "--region", "150102"))
    assert site
    server.cli("sites", "bind", username, site.group(0))


def camera_film(token: str, path: Path) -> Path:
    """A Y4M video of the token's QR code, for chromium's fake camera (one frame, looped)."""
    canvas = Image.new("L", (640, 480), 255)
    qr = segno.make(token, error="m", micro=False)
    image = Path(path.with_suffix(".png"))
    qr.save(image, scale=5, border=4)
    code = Image.open(image).convert("L")
    canvas.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (320, 240)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n" + frame)
    return path


def no_serious_problems(page: Any) -> None:
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)


def test_scanning_online_then_offline(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "gate.wang", "checkpoint")
    bind_to_a_site(demo_server, "gate.wang")
    try:
        desk.goto(DESK)
        desk.wait_for_selector("#offline-status[data-state=ready]")
        assert desk.evaluate("navigator.serviceWorker.ready.then(() => true)"), "the desk is kept for offline use"
        assert "本机核验已就绪" in desk.locator("#offline-status").inner_text()
        assert desk.evaluate("document.activeElement.id") == "token", "the scanner types into the input"
        no_serious_problems(desk)

        # online: a keyboard-wedge scanner types the code and presses Enter
        app = ResidentApp(demo_server, PERSON.phone)
        token = app.live_code()["token"]
        desk.keyboard.type(token)
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#result[data-reason=ok]")
        assert desk.locator("#verdict").inner_text() == "绿码"
        assert desk.locator("#last-four").inner_text() == PERSON.number[-4:]
        no_serious_problems(desk)
        desk.get_by_role("button", name="放行", exact=True).click()
        desk.wait_for_selector("#notice")
        assert desk.locator("#notice").inner_text() == "已放行，请查验下一位。"
        first = desk.locator("#scans li").first
        assert "绿码" in first.inner_text(), "the log is written in place"
        assert "已放行" in first.inner_text()
        desk.wait_for_function("!JSON.parse(localStorage.getItem('hc.checkpoint.queue') || '[]').length")

        # offline: the page checks by itself and says with what
        context.set_offline(True)
        desk.locator("#token").fill(token)
        desk.locator("#token").press("Enter")
        screen = desk.locator("#result")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "ok"
        assert "colour-green" in (screen.get_attribute("class") or "")
        assert desk.locator("#verdict").inner_text() == "绿码"
        assert desk.locator("#masked-name").inner_text() == PERSON.name[0] + "*"
        assert desk.locator("#last-four").inner_text() == PERSON.number[-4:]
        assert "在本机核验" in desk.locator("#verdict-source").inner_text()
        no_serious_problems(desk)
        desk.locator("#temperature").fill("99")
        desk.locator("#deny").click()
        assert "34.0" in desk.locator("#temperature-error").inner_text()
        desk.locator("#temperature").fill("38.5")
        assert desk.locator("#allow").is_hidden(), "a fever is not let through as usual"
        assert desk.locator("#refuse").is_visible()
        desk.locator("#temperature").press("Enter")  # Enter refuses
        screen.wait_for(state="hidden")
        assert desk.evaluate("document.activeElement.id") == "token"
        assert "1" in desk.locator("#offline-queue").inner_text()

        desk.locator("#token").fill(tampered(token))
        desk.locator("#token").press("Enter")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "bad_signature"
        assert desk.locator("#verdict").inner_text() == "不予认可"
        desk.locator("#next").click()
        assert "2" in desk.locator("#offline-queue").inner_text()

        # a revoked code fails offline too, once the device's revocation list names it
        token_id = decode_claims(open_envelope(token).payload).token_id.hex()
        desk.evaluate(
            """id => { const data = JSON.parse(localStorage.getItem('hc.checkpoint.data'));
                       data.revocations.revoked.push(id);
                       localStorage.setItem('hc.checkpoint.data', JSON.stringify(data)); }""",
            token_id,
        )
        desk.locator("#token").fill(token)
        desk.locator("#token").press("Enter")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "revoked"
        assert desk.locator("#masked-name").inner_text() == PERSON.name[0] + "*", "whose code it was"
        desk.locator("#next").click()
        desk.locator("#token").fill("hello")
        desk.locator("#token").press("Enter")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "malformed"
        desk.locator("#next").click()
        desk.evaluate(
            """id => { const data = JSON.parse(localStorage.getItem('hc.checkpoint.data'));
                       data.revocations.revoked = data.revocations.revoked.filter(x => x !== id);
                       localStorage.setItem('hc.checkpoint.data', JSON.stringify(data)); }""",
            token_id,
        )
        assert "4" in desk.locator("#offline-queue").inner_text()
        assert desk.locator("#offline-status").get_attribute("data-state") == "offline"
        assert "无网络" in desk.locator("#offline-status").inner_text()

        # the desk opens again without network, with what it kept
        desk.reload()
        desk.wait_for_selector("#offline-status[data-state=offline]")
        assert "4" in desk.locator("#offline-queue").inner_text()
        assert desk.evaluate("document.activeElement.id") == "token"

        # the network is back: the scans are sent, and the fever recolours the card
        context.set_offline(False)
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        desk.wait_for_function("document.getElementById('offline-queue').textContent.includes('已发送')")
        desk.reload()
        logged = desk.locator("#scans li").all_inner_texts()
        assert sum("离线核验" in line for line in logged) == 4
        assert any("38.5" in line and "已拒绝" in line for line in logged), logged
        assert app.live_code()["colour"] == "yellow"

        # signing out leaves nothing of the desk on the device but scans not yet sent (none now)
        desk.goto("/staff")
        desk.get_by_role("button", name="退出", exact=True).click()
        desk.wait_for_url(f"{demo_server.url}/staff/login")
        desk.wait_for_function(
            """() => caches.keys().then(names => !names.some(name => name.startsWith('hc-checkpoint')))"""
        )
        assert desk.evaluate("localStorage.getItem('hc.checkpoint.data')") is None
    finally:
        context.close()


def test_the_camera_scans_a_code_and_a_person_without_a_phone_is_checked_by_document(
    browser: Any, demo_server: LiveServer, tmp_path: Path
) -> None:
    person = next(p for p in DEMO_PEOPLE if p.colour == "yellow")
    film = camera_film(ResidentApp(demo_server, person.phone).live_code()["token"], tmp_path / "qr.y4m")
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={film}",
        ],
    )
    try:
        context, desk = staff_page(camera, demo_server, "gate.zhao", "checkpoint")
        bind_to_a_site(demo_server, "gate.zhao")
        context.grant_permissions(["camera"], origin=demo_server.url)
        desk.goto(DESK)

        desk.get_by_role("button", name="用摄像头扫码").click()
        desk.wait_for_selector("#result[data-reason=ok]", timeout=20_000)
        assert desk.locator("#verdict").inner_text() == "黄码"
        assert desk.locator("#last-four").inner_text() == person.number[-4:]
        # a yellow code: typing the temperature and pressing Enter refuses, never allows
        verdict = desk.get_by_role("alertdialog")
        verdict.get_by_label("体温").fill("36.5")
        verdict.get_by_label("体温").press("Enter")
        desk.wait_for_selector("#notice")
        assert desk.locator("#notice").inner_text() == "已拒绝通行。请核验下一位。"
        assert "黄码" in desk.locator("#scans li").first.inner_text()
        assert "已拒绝" in desk.locator("#scans li").first.inner_text()

        # no phone: the official types the document; the answer is the card's colour now
        red = next(p for p in DEMO_PEOPLE if p.colour == "red")  # read only: the clerk's test prints for them
        desk.get_by_label("证件号码").fill(red.number)
        desk.get_by_role("button", name="核验证件").click()
        desk.wait_for_selector("#result[data-reason=manual]")
        assert desk.locator("#verdict").inner_text() == "红码"
        assert desk.locator("#reason").inner_text() == "凭证件人工核验"
        no_serious_problems(desk)
        context.close()
    finally:
        camera.close()


def test_offline_checks_tell_server_errors_expired_future_and_unknown_codes_apart(
    browser: Any, demo_server: LiveServer
) -> None:
    person = next(p for p in DEMO_PEOPLE if p.colour == "red")  # read only
    token = ResidentApp(demo_server, person.phone).live_code()["token"]
    foreign = token_for(generate_signing_key(), FixedClock(datetime.now(UTC)))
    context, desk = staff_page(browser, demo_server, "gate.sun", "checkpoint")
    bind_to_a_site(demo_server, "gate.sun")
    try:
        desk.goto(DESK)
        desk.wait_for_selector("#offline-status[data-state=ready]")
        screen = desk.locator("#result")

        # a proxy's error page is no answer: the device checks the code
        desk.route("**/staff/checkpoint/scan", lambda route: route.fulfill(status=502, body="Bad Gateway"))
        desk.locator("#token").fill(token)
        desk.locator("#token").press("Enter")
        screen.wait_for(state="visible")
        assert screen.get_attribute("data-reason") == "ok"
        assert desk.locator("#verdict").inner_text() == "红码"
        # a red code: Refuse comes first; letting through is the exception's own step, with a reason
        assert desk.locator("#allow").is_hidden()
        assert desk.locator("#decision-buttons button:visible").all_inner_texts() == ["拒绝通行"]
        desk.get_by_text("仍要放行（例外）…").click()
        desk.get_by_role("button", name="例外放行").click()
        assert "请拒绝通行，或选择仍要放行的原因" in desk.locator("#exception_reason-error").inner_text()
        desk.get_by_label("送发热门诊").check()
        desk.get_by_role("button", name="例外放行").click()
        screen.wait_for(state="hidden")
        kept = desk.evaluate("JSON.parse(localStorage.getItem('hc.checkpoint.queue'))")
        assert [(scan["decision"], scan["exceptionReason"]) for scan in kept] == [("allow", "fever_clinic")]
        desk.unroute("**/staff/checkpoint/scan")

        context.set_offline(True)
        now = datetime.now(UTC)
        for shift, code, reason in [
            (timedelta(minutes=10), token, "expired"),  # the device's clock: ten minutes later
            (timedelta(minutes=-10), token, "not_yet_valid"),
            (timedelta(0), foreign, "unknown_issuer"),  # signed by a key in no trust list
        ]:
            desk.clock.set_fixed_time(now + shift)
            desk.locator("#token").fill(code)
            desk.locator("#token").press("Enter")
            screen.wait_for(state="visible")
            assert screen.get_attribute("data-reason") == reason
            assert "unacceptable" in (screen.get_attribute("class") or "")
            desk.locator("#next").click()
            screen.wait_for(state="hidden")
    finally:
        context.close()
