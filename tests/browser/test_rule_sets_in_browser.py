"""A rule set activated by two administrators in chromium: one pastes it, checks it against the set
in force and proposes it; the proposer cannot approve it; a second administrator, on a phone-wide
screen, approves it and it is the active set (the CLI says so too). The keys and trusted-issuers
pages are checked for accessibility on the same screen."""

from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer, fits_the_screen, serious_accessibility_problems, staff_page

DEFAULT = (
    Path(__file__).resolve().parents[2] / "src" / "healthcode" / "domain" / "colours" / "rulesets" / "default.toml"
).read_text(encoding="utf-8")
# The packaged rules under a new version and name: the server is shared with other tests, whose
# cards must keep their colours.
VERSION = "2026.9-browser"
RENAMED = DEFAULT.replace('version = "2026.1"', f'version = "{VERSION}"', 1)


def test_one_administrator_proposes_a_rule_set_and_another_approves_it(browser: Any, live_server: LiveServer) -> None:
    assert VERSION not in live_server.cli("rules", "show")
    proposer, desk = staff_page(browser, live_server, "rules.proposer", "admin", width=1280)
    try:
        desk.get_by_role("link", name="赋码规则集（双管理员复核）").click()
        desk.get_by_label("规则集（TOML）").fill(RENAMED)
        desk.get_by_role("button", name="校验并对比").click()
        checked = desk.locator("#checked")
        checked.wait_for()
        assert "校验通过：可以提议启用。" in checked.inner_text()
        assert f"+version: {VERSION}" in desk.locator("#draft-diff").inner_text()
        assert serious_accessibility_problems(desk) == []
        desk.get_by_role("button", name="提议启用").click()
        desk.wait_for_selector("#notice")
        assert "须由另一位管理员批准" in desk.locator("#notice").inner_text()
        assert desk.locator("#approve").count() == 0, "the proposer is not offered the approval"
        proposal_url = desk.url.split("?")[0]
    finally:
        proposer.close()

    approver, desk = staff_page(browser, live_server, "rules.approver", "admin", width=375)
    try:
        desk.goto("/staff/admin/rules")
        desk.locator("#waiting").get_by_role("link", name=f"版本 {VERSION}").click()
        assert desk.url == proposal_url
        assert fits_the_screen(desk), "the proposal page fits a phone-wide screen"
        assert serious_accessibility_problems(desk) == []
        desk.get_by_role("button", name="批准并启用").click()
        desk.wait_for_selector("#notice")
        assert "已批准：规则集已生效。" in desk.locator("#notice").inner_text()
        desk.goto("/staff/admin/rules")
        assert VERSION in desk.locator("#in-force").inner_text()
        for path in ("/staff/admin/keys", "/staff/admin/issuers"):
            desk.goto(path)
            assert fits_the_screen(desk), path
            assert serious_accessibility_problems(desk) == [], path
    finally:
        approver.close()

    shown = live_server.cli("rules", "show")
    assert f"active: {VERSION}" in shown
    assert "by staff:" in shown
