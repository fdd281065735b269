"""The checkpoint desk at a gate, in chromium (``make bench-desk``).

Starts ``healthcode serve`` on 127.0.0.1 with the demo data, signs a checkpoint account in and
opens the desk, then measures in the page:

1. **Enter to verdict drawn** (from the Enter key's event time to the frame after the verdict is
   shown), median and p95 over ``--scans`` live codes of every colour, in four conditions: online;
   the network hung (the scan and upload requests are never answered, through Playwright routes);
   offline (the browser knows it); and the network hung with the CPU slowed 4x (CDP
   ``Emulation.setCPUThrottlingRate``).
2. **A gate's shift**: ``--people`` people in a row (fresh codes, green, yellow and red, a
   temperature typed for each, Enter to decide), online: the time each person spends in the page
   (Enter on the code to verdict drawn, plus Enter on the decision to the desk ready again), the
   JS heap after garbage collection before and after, and the DOM's size.
3. **A day's offline scans uploaded**: ``--queue`` scans waiting on the device when the desk opens:
   the time until the server has them all, the batches, and the longest main-thread block (the
   longest long task, and how late a 20 ms timer fired at worst).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, staff_page

from benchmarks.slow_network import call
from healthcode.cli.demo_people import DEMO_PEOPLE

DESK = "/staff/checkpoint"
COLOURS = ("green", "yellow", "red")
# In the page before its scripts: when Enter was pressed in an input, and when the verdict (or, after
# a decision, the desk) was drawn; long tasks and how late a timer fires.
PROBE = """
window.__drawn = []; window.__ready = []; window.__longTasks = [];
let enterAt = null, decidedAt = null;
document.addEventListener("keydown", event => {
  if (event.key !== "Enter") return;
  if (event.target.id === "token") enterAt = event.timeStamp;
  else if (event.target.id === "temperature") decidedAt = event.timeStamp;
}, true);
function afterFrame(done) { requestAnimationFrame(() => setTimeout(done, 0)); }
new MutationObserver(() => {
  const result = document.getElementById("result");
  if (!result) return;
  if (!result.hidden && enterAt !== null) {
    const start = enterAt; enterAt = null;
    afterFrame(() => window.__drawn.push(performance.now() - start));
  } else if (result.hidden && decidedAt !== null) {
    const start = decidedAt; decidedAt = null;
    afterFrame(() => window.__ready.push(performance.now() - start));
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["hidden"] });
try {
  new PerformanceObserver(list => list.getEntries().forEach(e => window.__longTasks.push([e.startTime, e.duration])))
    .observe({ type: "longtask", buffered: true });
} catch (error) {}
window.__lag = 0;  // how late a 20 ms timer fires: how long the page could not answer a key
(function tick(expected) {
  const now = performance.now();
  if (expected !== undefined) window.__lag = Math.max(window.__lag, now - expected);
  setTimeout(() => tick(now + 20), 20);
})();
"""
QUEUE_LENGTH = "(JSON.parse(localStorage.getItem('hc.checkpoint.queue') || '[]')).length"


class Codes:
    """Fresh live codes of a green, a yellow and a red demo resident, in turn."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.cards: list[tuple[str, str]] = []
        for colour in COLOURS:
            phone = next(p.phone for p in DEMO_PEOPLE if p.colour == colour)
            call(f"{server.url}/api/v1/auth/sms-codes", {"phone": phone})
            bearer = call(f"{server.url}/api/v1/auth/sessions", {"phone": phone, "code": server.outbox_code(phone)})[
                "token"
            ]
            cards = call(f"{server.url}/api/v1/cards", token=bearer)
            card = next(c["card_id"] for c in cards if c["relationship"] == "self")
            self.cards.append((bearer, card))
        self.turn = 0

    def next(self) -> str:
        bearer, card = self.cards[self.turn % len(self.cards)]
        self.turn += 1
        return str(call(f"{self.server.url}/api/v1/cards/{card}/code", token=bearer)["token"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(values: list[float]) -> str:
    return f"median {statistics.median(values):,.1f} ms, p95 {percentile(values, 0.95):,.1f} ms (n={len(values)})"


def scan_and_decide(desk: Any, token: str) -> None:
    """What the official does: the scanner types the code and Enter; a temperature and Enter (which
    allows a valid green code and refuses anything else)."""
    desk.locator("#token").fill(token)
    desk.locator("#token").press("Enter")
    desk.locator("#result").wait_for(state="visible")
    desk.locator("#temperature").fill("36.5")
    desk.locator("#temperature").press("Enter")
    desk.wait_for_function("document.getElementById('result').hidden && document.activeElement.id === 'token'")


def held_in(routes: list[Any]) -> Callable[[Any], None]:
    """A route handler that keeps the request unanswered (a weak network), for aborting at the end."""
    return lambda route: routes.append(route)


def latency(desk: Any, codes: Codes, scans: int) -> list[float]:
    desk.evaluate("window.__drawn = []")
    for _ in range(scans):
        scan_and_decide(desk, codes.next())
    desk.wait_for_function(f"window.__drawn.length >= {scans}")
    return [float(value) for value in desk.evaluate("window.__drawn")]


def open_desk(browser: Any, server: LiveServer, username: str, site: str) -> tuple[Any, Any]:
    context, desk = staff_page(browser, server, username, "checkpoint", width=1280)
    server.cli("sites", "bind", username, site)
    context.add_init_script(PROBE)
    desk.goto(DESK)
    desk.wait_for_selector("#offline-status[data-state=ready]")
    return context, desk


def heap(cdp: Any) -> tuple[float, int]:
    """The JS heap in use after a full garbage collection (MB), and the nodes in the document."""
    cdp.send("HeapProfiler.collectGarbage")
    used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
    nodes = cdp.send("Runtime.evaluate", {"expression": "document.getElementsByTagName('*').length"})
    return used, int(nodes["result"]["value"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=100, help="scans per network condition")
    parser.add_argument("--people", type=int, default=1000, help="people through the gate in a row")
    parser.add_argument("--queue", type=int, default=10_000, help="offline scans waiting to be uploaded")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    report: list[str] = []
    with tempfile.TemporaryDirectory() as root:
        server = LiveServer(Path(root))
        server.env["HEALTHCODE_SMS_DAILY_LIMIT"] = "1000"
        server.env["HEALTHCODE_SMS_RESEND_INTERVAL_S"] = "0"
        server.start()
        try:
            server.cli("demo")
            created = re.search(r"\d+", server.cli("sites", "create", "新华广场东门", "--region", "150102"))
            site = created.group(0) if created else "1"
            codes = Codes(server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

                # 1. Enter to verdict drawn, by network condition
                report.append(f"Enter to verdict drawn ({args.scans} scans each, green/yellow/red in turn):")
                for mode in ("online", "hung network", "offline", "hung network, CPU 4x"):
                    context, desk = open_desk(browser, server, f"gate.{mode.split()[0]}.{len(report)}", site)
                    cdp = context.new_cdp_session(desk)
                    hung: list[Any] = []  # a weak network: requests sent, nothing comes back
                    if "hung" in mode:
                        desk.route("**/staff/checkpoint/scan", held_in(hung))
                        desk.route("**/staff/checkpoint/offline-scans", held_in(hung))
                    if mode == "offline":
                        context.set_offline(True)
                    if "CPU 4x" in mode:
                        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                    latency(desk, codes, 3)  # warm up
                    report.append(f"  {mode}: {figures(latency(desk, codes, args.scans))}")
                    for route in hung:
                        route.abort()
                    context.close()

                # 2. a gate's shift: people in a row, online
                context, desk = open_desk(browser, server, "gate.shift", site)
                cdp = context.new_cdp_session(desk)
                latency(desk, codes, 20)
                desk.wait_for_function(f"{QUEUE_LENGTH} === 0", timeout=60_000)
                before, nodes_before = heap(cdp)
                desk.evaluate("window.__drawn = []; window.__ready = []")
                started = time.monotonic()
                for _ in range(args.people):
                    scan_and_decide(desk, codes.next())
                elapsed = time.monotonic() - started
                desk.wait_for_function(f"window.__ready.length >= {args.people}")
                drawn = [float(v) for v in desk.evaluate("window.__drawn")]
                ready = [float(v) for v in desk.evaluate("window.__ready")]
                in_page = [d + r for d, r in zip(drawn, ready, strict=False)]
                desk.wait_for_function(f"{QUEUE_LENGTH} === 0", timeout=60_000)
                after, nodes_after = heap(cdp)
                report.append(f"A gate's shift: {args.people} people in a row (online, a temperature typed each):")
                report.append(f"  Enter to verdict drawn: {figures(drawn)}")
                report.append(f"  decision Enter to desk ready: {figures(ready)}")
                report.append(f"  time in the page per person: {figures(in_page)}")
                report.append(
                    f"  wall time per person, driven by Playwright: {elapsed / args.people * 1000:,.0f} ms"
                    f" (fill the code, Enter, type 36.5, Enter, wait for the desk)"
                )
                report.append(
                    f"  JS heap after GC: {before:.2f} MB after 20 scans, {after:.2f} MB after {args.people} more;"
                    f" elements in the page {nodes_before} -> {nodes_after};"
                    f" log lines {desk.locator('#scans li').count()}"
                )

                # 3. a day's offline scans, uploaded when the desk opens
                tokens = [codes.next() for _ in range(30)]
                seeded = desk.evaluate(
                    """([tokens, count]) => {
                         const staff = JSON.parse(document.getElementById('checkpoint-config').textContent).staff;
                         const now = Math.floor(Date.now() / 1000);
                         const scans = Array.from({length: count}, (_, i) => ({
                           ref: 'bench-' + String(i).padStart(6, '0') + '-' + now, staff,
                           token: tokens[i % tokens.length],
                           scannedAt: now - (count - i) % 3600, done: true, temperature: '36.5',
                           decision: i % 3 ? 'deny' : 'allow'}));
                         const text = JSON.stringify(scans);
                         localStorage.setItem('hc.checkpoint.queue', text);
                         return text.length;
                       }""",
                    [tokens, args.queue],
                )
                batches: list[float] = []
                desk.on("request", lambda r: batches.append(time.monotonic()) if "offline-scans" in r.url else None)
                started = time.monotonic()
                desk.reload()
                desk.wait_for_function(f"{QUEUE_LENGTH} === 0", timeout=600_000, polling=500)
                uploaded = time.monotonic() - started
                loaded = float(desk.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart"))
                tasks = [(float(at), float(took)) for at, took in desk.evaluate("window.__longTasks")]
                long_tasks = [took for _, took in tasks]
                while_sending = [took for at, took in tasks if at > loaded]
                lag = float(desk.evaluate("window.__lag"))
                report.append(
                    f"A day's offline scans: {args.queue:,} waiting when the desk opens ({seeded:,} characters):"
                )
                report.append(f"  all on the server after {uploaded:,.1f} s, in {len(batches)} requests of at most 100")
                report.append(
                    f"  longest main-thread block: {max(long_tasks, default=0):,.0f} ms"
                    f" ({len(long_tasks)} long tasks over 50 ms); longest a timer waited {lag:,.0f} ms"
                )
                report.append(
                    f"  after the page loaded ({loaded:,.0f} ms): longest block {max(while_sending, default=0):,.0f} ms"
                    f" ({len(while_sending)} long tasks over 50 ms)"
                )
                context.close()
                browser.close()
        finally:
            server.stop()
    print("\n".join(report))


if __name__ == "__main__":
    main()
