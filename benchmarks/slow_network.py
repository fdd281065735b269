"""How long the code page takes to show its QR on a slow network (``make bench-network``).

Starts ``healthcode serve`` on 127.0.0.1 with the demo data, logs a demo resident in, and opens the
code page in Debian's chromium under Chrome's classic "Slow 3G" (2,000 ms latency, 51,200 B/s each
way, through the DevTools protocol), first with an empty cache (cold), then with what the browser
kept (warm). The figure is the time from the start of navigation until the QR is drawn (the canvas
gets its ``data-version``), median of a few runs, with the bytes the browser received.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.kit.requests import LANGUAGE_COOKIE

SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 51_200, "uploadThroughput": 51_200}
# Set when the QR is drawn, measured from the start of the navigation (performance.timeOrigin).
DRAWN_AT = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('[data-code] canvas[data-version]')) {
    window.__qrDrawnAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-version']});
"""


def call(url: str, body: dict[str, object] | None = None, token: str = "") -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def measure(context: Any, url: str, *, cold: bool) -> tuple[float, int]:
    """One navigation: milliseconds until the QR is drawn, and bytes received over the network."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": cold})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    received: list[int] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(int(event["encodedDataLength"])))
    page.add_init_script(DRAWN_AT)
    page.goto(url, wait_until="commit", timeout=60_000)
    page.wait_for_function("window.__qrDrawnAt !== undefined", timeout=60_000)
    drawn = float(page.evaluate("window.__qrDrawnAt"))
    page.close()
    return drawn, sum(received)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--language", default="zh_CN", help="The page's language: zh_CN, en or mn")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as root:
        server = LiveServer(Path(root))
        server.start()
        try:
            server.cli("demo")
            phone = next(person.phone for person in DEMO_PEOPLE if person.colour == "green")
            call(f"{server.url}/api/v1/auth/sms-codes", {"phone": phone})
            token = call(f"{server.url}/api/v1/auth/sessions", {"phone": phone, "code": server.outbox_code(phone)})[
                "token"
            ]
            card = next(c["card_id"] for c in call(f"{server.url}/api/v1/cards", token=token))
            url = f"{server.url}/cards/{card}/code"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                # the measuring script is evaluated in the page: the CSP (no eval) is bypassed for it alone
                context = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN", bypass_csp=True)
                context.add_cookies(
                    [
                        {"name": "hc_session", "value": token, "url": server.url},
                        {"name": LANGUAGE_COOKIE, "value": args.language, "url": server.url},
                    ]
                )
                figures: dict[str, list[tuple[float, int]]] = {"cold": [], "warm": []}
                for _ in range(args.runs):
                    figures["cold"].append(measure(context, url, cold=True))
                    figures["warm"].append(measure(context, url, cold=False))
                browser.close()
        finally:
            server.stop()
    print(f"code page ({args.language}) under Slow 3G (latency 2,000 ms, 51,200 B/s), {args.runs} runs each:")
    for name, runs in figures.items():
        times = [ms for ms, _ in runs]
        print(
            f"  {name}: QR drawn after {statistics.median(times):,.0f} ms median "
            f"(runs: {', '.join(f'{t:,.0f}' for t in times)}), {statistics.median(b for _, b in runs):,.0f} bytes"
        )


if __name__ == "__main__":
    main()
