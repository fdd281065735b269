"""The checkpoint desk through a shift (SPEC §8) in chromium: it decides on the device without
waiting for the network, never reloads between people, lets the server's differing answer replace
its verdict, refuses lists that do not verify against the key it pinned, and sends a long queue of
scans in batches."""

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.codes.trust import sign_document
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import generate_signing_key, jwk_of, verifying_key_for
from healthcode.domain.tokens.format import decode_claims, open_envelope
from tests.browser.conftest import LiveServer, serious_accessibility_problems, staff_page
from tests.browser.test_certificate_desk import wait_until_refused
from tests.browser.test_checkpoint_desk import DESK, ResidentApp, bind_to_a_site
from tests.integration.test_keys import token_for

SCAN = "**/staff/checkpoint/scan"
UPLOAD = "**/staff/checkpoint/offline-scans"
QUEUE = "JSON.parse(localStorage.getItem('hc.checkpoint.queue') || '[]')"
# Counts the tones the page plays (two per alarm), before any of its scripts run.
COUNT_TONES = """
window.__tones = 0;
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.__tones++; return createOscillator.call(this); };
"""


COLOUR_WORDS = {"green": "绿码", "yellow": "黄码", "red": "红码"}


def person(colour: str) -> Any:
    """A demo resident of this colour in the demo data (other tests may have recoloured them since)."""
    return next(p for p in DEMO_PEOPLE if p.colour == colour)


def colour_of(token: str) -> str:
    return decode_claims(open_envelope(token).payload).colour


def open_desk(browser: Any, server: LiveServer, username: str) -> tuple[Any, Any]:
    context, desk = staff_page(browser, server, username, "checkpoint", width=1280)
    bind_to_a_site(server, username)
    desk.goto(DESK)
    desk.wait_for_selector("#offline-status[data-state=ready]")
    return context, desk


def scan(desk: Any, token: str) -> None:
    desk.locator("#token").fill(token)
    desk.locator("#token").press("Enter")


def revoke(server: LiveServer, token: str) -> None:
    """Revoke a live code on the server only (the desk's list does not name it until it refreshes)."""
    token_id = decode_claims(open_envelope(token).payload).token_id.hex()
    database = server.env["HEALTHCODE_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO revoked_tokens (token_id, kind, revoked_at, reason, revoked_by) VALUES (?, ?, ?, ?, ?)",
            (token_id, "live", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), "test", "test"),
        )
    wait_until_refused(server, token)


def test_a_hung_network_changes_nothing_at_the_gate(browser: Any, demo_server: LiveServer) -> None:
    context, desk = open_desk(browser, demo_server, "gate.hung")
    hung: list[Any] = []
    try:
        desk.evaluate("window.__sameDesk = true")  # a reload would lose it
        desk.route(SCAN, lambda route: hung.append(route))  # the scan request is never answered: a weak network
        desk.route(UPLOAD, lambda route: hung.append(route))
        colours = []
        for demo_colour in ("green", "yellow", "red"):
            token = ResidentApp(demo_server, person(demo_colour).phone).live_code()["token"]
            colours.append(colour_of(token))
            scan(desk, token)
            # drawn from what the device holds: well within the 4 s the desk used to wait for the server
            desk.wait_for_selector(f"#result[data-reason=ok][data-colour={colours[-1]}]", timeout=3500)
            assert desk.evaluate("document.activeElement.id") == "verdict"
            desk.locator("#temperature").fill("36.5")
            desk.locator("#temperature").press("Enter")  # allows green; refuses yellow and red
            desk.locator("#result").wait_for(state="hidden")
            assert desk.evaluate("document.activeElement.id") == "token", "ready for the next person"
        assert desk.evaluate("window.__sameDesk") is True, "the desk was never reloaded"
        lines = desk.locator("#scans li").all_inner_texts()[:3][::-1]
        decisions = ["allow" if colour == "green" else "deny" for colour in colours]
        for line, colour, decision in zip(lines, colours, decisions, strict=True):
            assert COLOUR_WORDS[colour] in line, lines
            assert ("已放行" if decision == "allow" else "已拒绝") in line, lines
            assert "离线核验" in line, "the server never heard of it"
        kept = desk.evaluate(QUEUE)
        assert [(s["decision"], s["temperature"], s["done"]) for s in kept] == [(d, "36.5", True) for d in decisions]
        assert len(hung) >= 3, "the scans were sent, and hang"
        assert serious_accessibility_problems(desk) == []

        # the network is back: the queue goes, and the server logs the scans as checked offline
        for route in hung:
            route.abort()  # the weak network gives up at last
        desk.unroute(SCAN)
        desk.unroute(UPLOAD)
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        desk.wait_for_function(f"!{QUEUE}.length")
        assert "3" in desk.locator("#offline-queue").inner_text()
        desk.reload()
        logged = desk.locator("#scans li").all_inner_texts()[:3]
        assert all("离线核验" in line for line in logged), logged
    finally:
        context.close()


def test_the_servers_differing_answer_replaces_the_verdict(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "gate.newer", "checkpoint", width=1280)
    bind_to_a_site(demo_server, "gate.newer")
    context.add_init_script(COUNT_TONES)
    try:
        desk.goto(DESK)
        desk.wait_for_selector("#offline-status[data-state=ready]")
        token = ResidentApp(demo_server, person("green").phone).live_code()["token"]
        revoke(demo_server, token)  # newer than the desk's list, which still lets this code pass

        scan(desk, token)
        desk.wait_for_selector("#result[data-replaced=server][data-reason=revoked]")
        assert desk.locator("#verdict").inner_text() == "不予认可"
        assert "服务器的核验结果与本机不同" in desk.locator("#server-replaced").inner_text()
        assert desk.locator("#reason").inner_text() == "已撤销：该码已被撤回，不予认可。"
        assert desk.evaluate("document.activeElement.id") == "verdict", "read out again"
        assert desk.evaluate("window.__tones") == 2, "with a sound"
        assert desk.locator("#allow").is_hidden(), "a revoked code is not let through as usual"
        assert serious_accessibility_problems(desk) == []
        desk.locator("#temperature").press("Enter")  # refuses
        desk.locator("#result").wait_for(state="hidden")
        first = desk.locator("#scans li").first.inner_text()
        assert "码已作废" in first, first
        assert "已拒绝" in first

        # the answer comes only after the person was waved through: the desk says so, loudly
        held: list[Any] = []
        desk.route(SCAN, lambda route: held.append(route))
        scan(desk, token)
        desk.wait_for_selector(f"#result[data-reason=ok][data-colour={colour_of(token)}]")
        desk.locator("#temperature").fill("36.4")
        desk.locator("#temperature").press("Enter")  # acceptable on the device: decided
        desk.locator("#result").wait_for(state="hidden")
        desk.wait_for_function("document.activeElement.id === 'token'")
        desk.wait_for_function(f"!{QUEUE}.length")  # the decision went first (the scan's own request is held)
        held[0].continue_()
        late = desk.locator("#late-answer")
        late.wait_for(state="visible")
        assert "不予认可" in late.inner_text()
        assert "已撤销" in late.inner_text()
        assert late.get_attribute("role") == "alert"
        assert desk.evaluate("window.__tones") == 4
        assert "码已作废" in desk.locator("#scans li").first.inner_text(), "the log line is corrected"
    finally:
        context.close()


def test_lists_that_fail_the_pinned_key_are_refused_and_the_previous_kept(
    browser: Any, demo_server: LiveServer
) -> None:
    context, desk = open_desk(browser, demo_server, "gate.pinned")
    try:
        kept = desk.evaluate("localStorage.getItem('hc.checkpoint.data')")
        pin = desk.evaluate("localStorage.getItem('hc.checkpoint.pin')")

        # a whole, self-signed list of a key this desk never pinned (the server or its path taken over)
        intruder = generate_signing_key()
        forged_token = token_for(intruder, FixedClock(datetime.now(UTC)))
        public = verifying_key_for(intruder, "CN-150100", not_before=0)
        forged = sign_document(
            {"issuer": "CN-150100", "keys": [jwk_of(public)], "trusted": [], "issued_at": 2_000_000_000}, intruder
        )
        desk.route("**/trust-list.json", lambda route: route.fulfill(json=forged))
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        problem = desk.locator("#lists-problem")
        problem.wait_for(state="visible")
        assert problem.get_attribute("data-refused") == "trust"
        assert "未通过本机在设置时固定的密钥校验" in problem.inner_text()
        assert "本机继续使用" in problem.inner_text()
        assert desk.evaluate("localStorage.getItem('hc.checkpoint.data')") == kept
        assert desk.evaluate("localStorage.getItem('hc.checkpoint.pin')") == pin
        desk.route(SCAN, lambda route: None)  # the device's own verdict, not the server's
        scan(desk, forged_token)
        desk.wait_for_selector("#result[data-reason=unknown_issuer]")
        desk.locator("#next").click()
        desk.unroute(SCAN)
        desk.unroute("**/trust-list.json")

        # the true list with one id added to the revocations: the signature no longer holds
        def altered(route: Any) -> None:
            document = route.fetch().json()
            document["revoked"].append("0011223344556677")
            route.fulfill(json=document)

        desk.route("**/revocations.json", altered)
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        desk.wait_for_selector("#lists-problem[data-refused=revocations]")
        assert "撤销名单未通过本机密钥校验" in problem.inner_text()
        assert "0011223344556677" not in desk.evaluate("localStorage.getItem('hc.checkpoint.data')")
        assert serious_accessibility_problems(desk) == []

        # the server's own lists again: taken, and the message goes
        desk.unroute("**/revocations.json")
        desk.evaluate("window.dispatchEvent(new Event('online'))")
        problem.wait_for(state="hidden")
    finally:
        context.close()


def test_a_long_queue_goes_in_batches(browser: Any, demo_server: LiveServer) -> None:
    context, desk = open_desk(browser, demo_server, "gate.batches")
    try:
        token = ResidentApp(demo_server, person("green").phone).live_code()["token"]
        desk.evaluate(
            """token => {
                 const staff = JSON.parse(document.getElementById('checkpoint-config').textContent).staff;
                 const now = Math.floor(Date.now() / 1000);
                 const scans = Array.from({length: 250}, (_, i) => ({
                   ref: 'batch-test-' + String(i).padStart(4, '0'), staff, token, scannedAt: now - i,
                   done: true, temperature: '36.5', decision: 'deny'}));
                 localStorage.setItem('hc.checkpoint.queue', JSON.stringify(scans));
               }""",
            token,
        )
        sizes: list[int] = []
        desk.on(
            "request",
            lambda request: (
                sizes.append(len(json.loads(request.post_data or "{}")["scans"]))
                if request.url.endswith("/offline-scans")
                else None
            ),
        )
        desk.reload()  # the desk opens with a day's queue and sends it
        desk.wait_for_function(f"!{QUEUE}.length")
        assert sizes == [100, 100, 50]
        assert "250" in desk.locator("#offline-queue").inner_text()
    finally:
        context.close()


def test_a_shift_longer_than_the_sign_in_keeps_the_scans_and_says_so(browser: Any, demo_server: LiveServer) -> None:
    context, desk = open_desk(browser, demo_server, "gate.late")
    try:
        context.clear_cookies()  # the staff sign-in ended during the shift
        scan(desk, ResidentApp(demo_server, person("green").phone).live_code()["token"])
        desk.wait_for_selector("#result[data-reason=ok]")
        desk.locator("#temperature").fill("36.5")
        desk.locator("#temperature").press("Enter")
        desk.wait_for_function("document.getElementById('offline-queue').textContent.includes('重新登录')")
        assert "有 1 条离线扫码记录等待上传" in desk.locator("#offline-queue").inner_text()
        assert len(desk.evaluate(QUEUE)) == 1, "kept on the device"
    finally:
        context.close()
