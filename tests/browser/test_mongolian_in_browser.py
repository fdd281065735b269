"""Mongolian in the traditional script (issue 10, item 7) in chromium: the language switch and the
browser's Accept-Language pick it; pages load their own font and write headings vertically while
forms, the QR and the verdict stay horizontal; the resident's pages, the checkpoint desk and the
clerk's certificate desk work in it, fit a phone in large text at 375 and 320 wide, and axe-core
finds nothing serious."""

from typing import Any

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.i18n import translate
from healthcode.kit.assets import asset_bytes
from tests.browser.conftest import LiveServer, fits_the_screen, log_in, serious_accessibility_problems, staff_page
from tests.browser.test_cards_in_browser import apply, citizen, declare, upload_all, wait_for_approval
from tests.browser.test_checkpoint_desk import ResidentApp, bind_to_a_site

REVIEW_NOTE = (
    "This translation has not yet been reviewed by a native speaker. Where a text is unclear, "
    "choose another language at the top of the page."
)
FONT = "fonts/noto-sans-mongolian.woff2"
CODE_PAGE_BUDGET = 60_000
"""Bytes of the code page with everything it loads but the API, as for Chinese
(test_code_in_browser), with the Mongolian font (16 KB, cached for a year) counted."""


def mn(message: str) -> str:
    return translate(message, "mn")


def writing_mode(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.evaluate("node => getComputedStyle(node).writingMode"))


def mongolian_font_loaded(page: Any) -> bool:
    """The page's own Mongolian font has been fetched and is in use (not a system font, not boxes)."""
    return bool(
        page.evaluate(
            """document.fonts.ready.then(() => document.fonts.check('16px "Noto Sans Mongolian"', 'ᠮᠣᠩᠭᠣᠯ')
                 && Array.from(document.fonts).some(
                      f => f.family.includes('Noto Sans Mongolian') && f.status === 'loaded'))"""
        )
    )


def no_serious_problems(page: Any) -> None:
    assert serious_accessibility_problems(page) == []
    assert fits_the_screen(page)


def test_a_resident_switches_to_mongolian_and_shows_the_code(page: Any, live_server: LiveServer) -> None:
    log_in(page, live_server, "15000150061")
    apply(page, "巴特尔", "resident_id", citizen("15010219770707071"))
    upload_all(page)
    wait_for_approval(page)
    declare(page, "36.5", fever=False)
    card = page.url.split("?")[0]

    page.goto("/")
    page.get_by_role("link", name="ᠮᠣᠩᠭᠣᠯ").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "mn-Mong"
    assert page.get_by_role("heading", name=mn("My health card")).is_visible()
    assert mongolian_font_loaded(page)
    assert writing_mode(page, "main h1") == "vertical-lr", "headings are written vertically"
    assert writing_mode(page, ".prefs [lang='mn-Mong']") == "vertical-lr"
    assert writing_mode(page, "main p") == "horizontal-tb"
    assert page.locator(".review-note").inner_text() == mn(REVIEW_NOTE)
    no_serious_problems(page)

    # the code page in Mongolian: its QR and name stay horizontal, and it stays light
    sizes: dict[str, int] = {}
    page.on(
        "response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok and r.request.method == "GET" else None
    )
    page.get_by_role("link", name=mn("Show the health code")).click()
    page.wait_for_function("document.querySelector('[data-code] canvas').hasAttribute('data-version')")
    canvas = page.locator("[data-code] canvas")
    assert canvas.get_attribute("aria-label") == mn("QR code of a {colour}").format(colour=mn("Green code"))
    assert writing_mode(page, ".code-name") == "horizontal-tb"
    assert mongolian_font_loaded(page)
    no_serious_problems(page)
    weight = sum(size for url, size in sizes.items() if "/api/" not in url and "noto-sans-mongolian" not in url)
    assert weight + len(asset_bytes(FONT)) < CODE_PAGE_BUDGET, sizes  # counted even when cached

    # large text: no page of the resident's scrolls sideways on a phone, at 375 or 320 wide
    page.goto("/prefs/large-text?on=true&next=/")
    pages = ["/", card, card + "/declare", card + "/assessment", card + "/code", "/account/sessions"]
    pages += ["/support/tickets/new", "/family/codes", "/cards/new"]
    for width, height in ((375, 667), (320, 568)):
        page.set_viewport_size({"width": width, "height": height})
        for path in pages:
            page.goto(path)
            assert page.locator("html.large-text[lang='mn-Mong']").count() == 1
            assert fits_the_screen(page), f"{path} scrolls sideways at {width} px"
    assert serious_accessibility_problems(page) == []


def test_the_checkpoint_desk_in_mongolian(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "gate.mn", "checkpoint")
    bind_to_a_site(demo_server, "gate.mn")
    try:
        desk.goto("/prefs/language/mn?next=/staff/checkpoint")
        desk.wait_for_selector("#offline-status[data-state=ready]")
        assert desk.locator("html").get_attribute("lang") == "mn-Mong"
        assert mongolian_font_loaded(desk)
        no_serious_problems(desk)

        # a red code (its colour no other test changes): refused, in words, the verdict horizontal
        person = next(p for p in DEMO_PEOPLE if p.colour == "red")
        desk.locator("#token").fill(ResidentApp(demo_server, person.phone).live_code()["token"])
        desk.locator("#token").press("Enter")
        desk.wait_for_selector("#result")
        assert desk.locator("#verdict").inner_text() == mn("Red code")
        assert writing_mode(desk, "#verdict") == "horizontal-tb", "the verdict reads at a glance"
        assert desk.get_by_role("button", name=mn("Refuse entry")).is_visible()
        no_serious_problems(desk)
        desk.get_by_role("button", name=mn("Refuse entry")).click()
        desk.wait_for_selector("#notice")
        assert mn("Refused. Ready for the next person.") in desk.locator("#notice").inner_text()
    finally:
        context.close()


def test_the_certificate_desk_in_mongolian(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "clerk.mn", "clerk", width=1280)
    try:
        desk.goto("/prefs/language/mn?next=/staff/certificates")
        assert desk.get_by_role("heading", name=mn("Paper certificates"), exact=True).is_visible()
        assert mongolian_font_loaded(desk)
        no_serious_problems(desk)
        person = next(p for p in DEMO_PEOPLE if p.colour == "red")  # read only, as the other desk tests
        desk.get_by_label(mn("Document type")).select_option("resident_id")
        desk.get_by_label(mn("Document number")).fill(person.number[:-1] + ("1" if person.number[-1] != "1" else "2"))
        desk.get_by_label(mn("Document number")).press("Enter")
        desk.wait_for_load_state()
        assert desk.locator("#document_number-error").inner_text().strip() != "", "the error is beside the field"
        no_serious_problems(desk)
        desk.get_by_label(mn("Document number")).fill(person.number)
        desk.get_by_label(mn("Document number")).press("Enter")
        desk.wait_for_url(f"{demo_server.url}/staff/certificates?card=*")
        assert desk.locator("#colour").inner_text() == mn("Red code")
        assert desk.get_by_role("button", name=mn("Issue a certificate (PDF)")).is_visible()
        no_serious_problems(desk)
    finally:
        context.close()
