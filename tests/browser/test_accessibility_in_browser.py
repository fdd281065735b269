"""What axe cannot see: the checkpoint desk, the code page and a failed form used by keyboard alone
and read through the accessibility tree; and the focus ring's contrast on every background."""

import re
from datetime import timedelta
from typing import Any

from healthcode.cli.demo_people import DEMO_PEOPLE
from tests.browser.conftest import LiveServer, log_in, new_context, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval
from tests.browser.test_checkpoint_desk import DESK, ResidentApp, bind_to_a_site

FOCUSED_ID = "document.activeElement && document.activeElement.id"
INSIDE_VERDICT = "!!document.activeElement.closest('#result, #result')"


def accessibility_tree(page: Any) -> list[tuple[str, str]]:
    """(role, name) of every node chromium's accessibility tree exposes (inert parts are not)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [
        (node.get("role", {}).get("value", ""), node.get("name", {}).get("value", ""))
        for node in nodes
        if not node.get("ignored")
    ]


def tab_stays_inside_the_verdict(desk: Any, presses: int = 12) -> None:
    """Tab and Shift+Tab never reach the desk under the verdict (its header, log or footer)."""
    for key in ("Tab", "Shift+Tab"):
        for _ in range(presses):
            desk.keyboard.press(key)
            where = desk.evaluate("document.activeElement.tagName")
            assert where == "BODY" or desk.evaluate(INSIDE_VERDICT), f"{key} left the verdict for a {where}"


def test_the_checkpoint_desk_by_keyboard_alone(browser: Any, demo_server: LiveServer) -> None:
    red = next(person for person in DEMO_PEOPLE if person.colour == "red")
    green = next(person for person in DEMO_PEOPLE if person.colour == "green")
    context, desk = staff_page(browser, demo_server, "gate.keys", "checkpoint", width=1280)
    bind_to_a_site(demo_server, "gate.keys")
    try:
        desk.goto(DESK)
        assert desk.evaluate(FOCUSED_ID) == "token"

        # scan a red code: the verdict is a modal alert dialog named by its colour, focus on it
        desk.keyboard.type(ResidentApp(demo_server, red.phone).live_code()["token"])
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#result[data-reason=ok]")
        desk.wait_for_function("document.activeElement && document.activeElement.id === 'verdict'")
        tree = accessibility_tree(desk)
        assert ("alertdialog", "红码") in tree, tree
        assert not {"banner", "contentinfo"} & {role for role, _ in tree}, f"the desk around is inert: {tree}"
        assert desk.title().startswith("红码")
        tab_stays_inside_the_verdict(desk)

        # keyboard only: temperature, then the deliberate exception with its reason
        desk.locator("#temperature").focus()
        desk.keyboard.type("36.6")
        desk.keyboard.press("Tab")
        assert desk.evaluate(FOCUSED_ID) == "refuse", "Refuse comes first after the temperature"
        desk.keyboard.press("Tab")
        assert desk.evaluate("document.activeElement.tagName") == "SUMMARY"
        desk.keyboard.press("Enter")  # opens the exception step
        desk.locator("#allow-exception").press("Enter")  # no reason chosen: refused, said in the dialog
        desk.wait_for_selector("#result #exception_reason-error:visible")
        assert "请拒绝通行，或选择仍要放行的原因" in desk.locator("#exception_reason-error").inner_text()
        assert desk.evaluate("document.activeElement.name") == "exception_reason", "the reasons take focus"
        tab_stays_inside_the_verdict(desk)
        desk.locator("#temperature").fill("36.6")
        desk.locator("#exception summary").focus()
        desk.keyboard.press("Tab")
        assert desk.evaluate("document.activeElement.name") == "exception_reason"
        desk.keyboard.press("Space")
        assert desk.evaluate("document.activeElement.checked")
        while desk.evaluate(FOCUSED_ID) != "allow-exception":
            desk.keyboard.press("Tab")
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#notice")
        assert desk.locator("#notice").inner_text() == "已例外放行并记录。请核验下一位。"
        assert desk.evaluate(FOCUSED_ID) == "token", "ready for the next person"
        assert "例外放行：送发热门诊" in desk.locator("#scans li").first.inner_text()

        # a green code: Enter in the temperature allows; the log says so in words
        desk.keyboard.type(ResidentApp(demo_server, green.phone).live_code()["token"])
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#result[data-reason=ok]")
        assert ("alertdialog", "绿码") in accessibility_tree(desk)
        desk.locator("#temperature").focus()
        desk.keyboard.type("36.4")
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#notice")
        assert "绿码" in desk.locator("#scans li").first.inner_text()
        assert "已放行" in desk.locator("#scans li").first.inner_text()

        # a manual check by document is a whole page: focus still lands on the verdict
        desk.get_by_label("证件号码").fill(red.number)
        desk.get_by_label("证件号码").press("Enter")
        desk.wait_for_selector("#result[data-reason=manual]")
        assert desk.evaluate(FOCUSED_ID) == "verdict"
        assert desk.title().startswith("红码")
        assert ("alertdialog", "红码") in accessibility_tree(desk)
        desk.locator("#next").click()

        # offline: the device's verdict is the same kind of dialog
        context.set_offline(True)
        desk.locator("#token").fill("HC1:nonsense")
        desk.locator("#token").press("Enter")
        desk.locator("#result").wait_for(state="visible")
        desk.wait_for_function("document.activeElement && document.activeElement.id === 'verdict'")
        tree = accessibility_tree(desk)
        assert ("alertdialog", "不予认可") in tree, tree
        assert not {"banner", "contentinfo"} & {role for role, _ in tree}, f"the desk around is inert: {tree}"
        tab_stays_inside_the_verdict(desk)
        desk.locator("#next").click()
        assert desk.evaluate(FOCUSED_ID) == "token"
        assert desk.locator("header").evaluate("header => header.inert") is False, "the desk is usable again"
        context.set_offline(False)
        assert serious_accessibility_problems(desk) == []
    finally:
        context.close()


def test_an_expired_code_says_so_in_words_once(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150031")
    apply(page, "周八", "resident_id", citizen("15010219830303123"))
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)

    page.clock.install()
    page.get_by_role("link", name="出示健康码").click()
    canvas = page.locator("[data-code] canvas")
    page.wait_for_function("document.querySelector('[data-code] canvas').hasAttribute('data-version')")
    assert canvas.get_attribute("aria-label") == "绿码二维码"
    page.evaluate(
        """() => { const status = document.querySelector('.code-status'); window.__said = [];
                   new MutationObserver(() => window.__said.push(status.textContent))
                     .observe(status, {childList: true, characterData: true, subtree: true}); }"""
    )
    page.route("**/api/v1/cards/*/code", lambda route: route.abort())
    page.clock.run_for(61_000)  # the first refresh fails
    page.wait_for_function("document.querySelector('.code-status').textContent.length > 0")
    page.clock.run_for(int(timedelta(minutes=10).total_seconds() * 1000))  # and every retry after it
    said = page.evaluate("window.__said")
    assert len(said) <= 2, f"the status is announced when it changes, not every retry: {said}"
    assert said[0].startswith("网络不佳，未能刷新。本码在 "), said
    assert "前有效" in said[0], said
    assert said[-1] == "本码已过期，无法通过检查点。请连接网络后刷新。"
    assert canvas.get_attribute("aria-label") == "已过期的二维码：无法通过检查点", "the QR's name stays true"
    page.unroute("**/api/v1/cards/*/code")
    page.clock.run_for(70_000)  # the next retry reaches the server
    page.wait_for_function("document.querySelector('.code-status').textContent === '健康码已重新刷新。'")
    assert canvas.get_attribute("aria-label") == "绿码二维码"


def test_a_failed_form_takes_focus_to_a_summary_of_its_errors(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150032")
    page.get_by_role("link", name="申领我的电子健康卡").click()
    page.get_by_label("证件号码").fill("123")
    page.get_by_role("button", name="下一步：拍照上传").click()
    summary = page.locator("#error-summary")
    summary.wait_for()  # the answer's page, not the form still on screen while it loads
    page.wait_for_function(f"({FOCUSED_ID}) === 'error-summary'", timeout=5000)
    assert page.title().startswith("出错：")
    assert ("alert", "请更正以下问题") in accessibility_tree(page)
    assert summary.get_by_role("link").all_inner_texts() == ["请按证件填写姓名。"]
    summary.get_by_role("link").click()
    assert page.evaluate("location.hash") == "#name-error", "the summary leads to the field"
    assert serious_accessibility_problems(page) == []


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    found = re.findall(r"\d+", css)
    return int(found[0]), int(found[1]), int(found[2])


FOCUS_FACTS = """element => {
  element.focus();
  const style = getComputedStyle(element);
  let node = element.parentElement, background = 'rgb(255, 255, 255)';
  while (node) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && !colour.startsWith('rgba(0, 0, 0, 0)') && colour !== 'transparent') { background = colour; break; }
    node = node.parentElement;
  }
  return {outline: style.outlineColor, ring: style.boxShadow, background};
}"""


def test_the_focus_ring_stands_out_on_every_background(browser: Any, demo_server: LiveServer) -> None:
    """WCAG 1.4.11: a near-black ring between white ones, so one of them is 3:1 against whatever it
    sits on: cards, the page, each verdict's colour, blue and grey buttons."""
    context, desk = staff_page(browser, demo_server, "gate.ring", "checkpoint", width=1280)
    bind_to_a_site(demo_server, "gate.ring")
    seen: dict[str, float] = {}
    try:

        def measure(label: str, selector: str) -> None:
            desk.keyboard.press("Tab")  # focus-visible comes with keyboard use
            facts = desk.locator(selector).first.evaluate(FOCUS_FACTS)
            ring = re.search(r"rgb\([^)]*\)", facts["ring"])
            assert ring, facts
            colours = [rgb(facts["outline"]), rgb(ring.group(0))]
            background = rgb(facts["background"])
            seen[label] = max(contrast(colour, background) for colour in colours)

        desk.goto(DESK)
        measure("page header link", "header a")
        measure("white card, primary button", "#scan-form button.primary")
        measure("white card, input", "#document_number")
        for colour in ("green", "yellow", "red"):
            person = next(p for p in DEMO_PEOPLE if p.colour == colour)
            desk.goto(DESK)
            desk.locator("#token").fill(ResidentApp(demo_server, person.phone).live_code()["token"])
            desk.locator("#token").press("Enter")
            desk.wait_for_selector("#result")
            measure(f"{colour} verdict, next-person link", "#next")
        desk.goto(DESK)
        desk.locator("#token").fill("HC1:nonsense")
        desk.locator("#token").press("Enter")
        desk.wait_for_selector("#result")
        measure("dark verdict, next-person link", "#next")
    finally:
        context.close()
    assert len(seen) == 7
    assert all(ratio >= 3 for ratio in seen.values()), seen


BROKEN_UNITS = """() => Array.from(document.querySelectorAll(
    'a[href^="tel:"], time, .tag, .card-link .state, .facts dt, .colour-badge, button'))
  .filter(e => e.offsetParent !== null)
  .filter(e => {
    const lines = Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight));
    return getComputedStyle(e).display === 'inline' ? e.getClientRects().length > 1
      : e.matches('dt, .card-link .state, .tag') && lines > 1 && e.textContent.trim().length <= 8;
  })
  .map(e => e.tagName + ' ' + e.textContent.trim())"""


def test_large_text_fits_phone_screens_without_breaking_words(browser: Any, live_server: LiveServer) -> None:
    """Large text in Chinese and English at 375x667 and 320x568: nothing scrolls sideways, and no
    phone number, time, tag, short label or state is broken across lines."""
    context = new_context(browser, base_url=live_server.url, viewport={"width": 320, "height": 568}, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server, "15000150033")
        apply(page, "刘一", "resident_id", citizen("15010219700101155"))
        upload_all(page)
        wait_for_approval(page)
        declare(page, "36.5", fever=False)
        card = page.url.split("?")[0]
        for language, size in (("zh_CN", (375, 667)), ("zh_CN", (320, 568)), ("en", (375, 667)), ("en", (320, 568))):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.goto(f"/prefs/language/{language}?next=/prefs/large-text%3Fon%3Dtrue%26next%3D/")
            for path in ("/", card, f"{card}/assessment", f"{card}/declare", "/account/sessions"):
                page.goto(path)
                assert page.evaluate(BROKEN_UNITS) == [], (language, size, path)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (language, size)
        for path in ("/", card, f"{card}/assessment", f"{card}/declare", "/account/sessions", "/no/such/page"):
            page.goto(path)
            wide = page.evaluate(
                """() => Array.from(document.querySelectorAll('body *'))
                       .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                       .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))"""
            )
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, wide)
        assert page.locator("html").get_attribute("lang") == "en", "the 404 page in the reader's language"
    finally:
        context.close()


def test_a_waiting_card_updates_in_place_without_reloading(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150034")
    apply(page, "吴九", "resident_id", citizen("15010219910909123"))
    page.clock.install()
    upload_all(page)
    assert page.locator("#watching").is_visible(), "the page says it updates by itself"
    assert page.get_by_role("button", name="停止自动更新").is_visible()
    page.evaluate("window.__samePage = true")
    page.wait_for_timeout(3_000)  # the real-name check decides meanwhile (2 s here)
    page.clock.run_for(16_000)  # the page asks again after 15 s
    page.wait_for_function("document.getElementById('state').textContent.includes('电子健康卡已签发')")
    assert page.evaluate("window.__samePage") is True, "updated in place, not reloaded"
    assert page.evaluate(FOCUSED_ID) == "state", "focus goes to the news, which is read once"
    assert not page.locator("#watching").count(), "nothing left to wait for"
