"""Browser tests: a real server (granian, as in production) on 127.0.0.1 and Debian's chromium.

Playwright drives ``/usr/bin/chromium``; it never downloads a browser. Without chromium these
tests skip on a developer's machine and fail in CI (``CI`` set), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

CHROMIUM = Path(os.environ.get("HEALTHCODE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Small limits so a test can reach them in seconds: three codes a day, three seconds apart; the
# real-name check decides two seconds after the photos, and the job looks every second.
SERVER_SETTINGS = {
    "HEALTHCODE_SMS_DAILY_LIMIT": "3",
    "HEALTHCODE_SMS_RESEND_INTERVAL_S": "3",
    "HEALTHCODE_REALNAME_DELAY_S": "2",
    "HEALTHCODE_JOBS_INTERVAL_S": "1",
    "HEALTHCODE_CODE_REFRESH_S": "5",
    # chromium, pytest and the server share two cores: starved for a moment is not overloaded
    "HEALTHCODE_MAX_DELAY_MS": "600000",
}
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: here in Path(str(item.fspath)).parents)  # browser tests run last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The platform served by ``healthcode serve`` on its own SQLite database."""

    def __init__(self, root: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HEALTHCODE_ENV": "test",
            "HEALTHCODE_VAR_DIR": str(root / "var"),
            "HEALTHCODE_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'live.db'}",
            **SERVER_SETTINGS,
        }
        self.log = (root / "server.log").open("w")
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "healthcode"), *args], env=self.env, capture_output=True, text=True, check=False, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def outbox_code(self, phone: str) -> str:
        lines = self.cli("sms", "outbox", "--phone", phone, "--json").splitlines()
        return str(json.loads(lines[-1])["code"])

    def start(self) -> None:
        self.cli("db", "upgrade")
        self.cli("keys", "generate")
        self.process = subprocess.Popen(
            [str(BIN / "healthcode"), "serve", "--port", str(self.port), "--workers", "1"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server with the demo data (whose phones the other tests do not use), keys and
    revocations re-read every second instead of every minute, so a revocation shows in seconds,
    and SMS limits that let the demo residents log in as often as the tests need."""
    server = LiveServer(tmp_path_factory.mktemp("demo"))
    server.env["HEALTHCODE_VERIFY_REFRESH_S"] = "1"
    # the demo residents log in many times across the tests (the limits are tested on the other server)
    server.env["HEALTHCODE_SMS_DAILY_LIMIT"] = "1000"
    server.env["HEALTHCODE_SMS_RESEND_INTERVAL_S"] = "0"
    server.env["HEALTHCODE_SMS_IP_HOURLY_LIMIT"] = "1000"
    server.start()
    server.cli("demo")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Package-scoped: Playwright's sync API keeps an event loop running in this thread while it
    is open, which would stop every async test and ``asyncio.run`` that comes after it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI runs these tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context for a test: the pages' Content-Security-Policy is bypassed so that the
    test's own tools (axe, predicates, injected scripts) run; test_content_security_policy.py
    uses the pages without the bypass."""
    return browser.new_context(bypass_csp=True, **options)


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A phone-sized page (360 x 640, as on a cheap Android phone) in a fresh browser context."""
    context = new_context(
        browser, base_url=live_server.url, viewport={"width": 360, "height": 640}, locale="zh-CN", has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def serious_accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def log_in(page: Any, live_server: LiveServer, phone: str) -> None:
    """Log in through the login page with the code from the outbox."""
    page.goto("/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(live_server.outbox_code(phone))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")


STAFF_PASSWORD = "Checkpoint-Pass-26"


def new_staff(live_server: LiveServer, username: str, role: str) -> str:
    """Create a staff account through the CLI; returns its authenticator secret."""
    output = live_server.cli("staff", "create", "--username", username, "--role", role, "--password", STAFF_PASSWORD)
    found = re.search(r"authenticator secret: (\w+)", output)
    assert found
    return found.group(1)


def staff_page(browser: Any, live_server: LiveServer, username: str, role: str, width: int = 390) -> tuple[Any, Any]:
    """A new staff account signed in on its own browser context; returns (context, page)."""
    secret = new_staff(live_server, username, role)
    context = new_context(browser, base_url=live_server.url, viewport={"width": width, "height": 800}, locale="zh-CN")
    desk = context.new_page()
    desk.goto("/staff/login")
    desk.get_by_label("用户名").fill(username)
    desk.get_by_label("密码").fill(STAFF_PASSWORD)
    desk.get_by_label("身份验证器动态码").fill(pyotp.TOTP(secret).now())
    desk.get_by_role("button", name="登录").click()
    desk.wait_for_url(f"{live_server.url}/staff")
    return context, desk


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
