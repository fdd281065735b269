"""The paper-certificate clerk's desk (SPEC §9) in chromium: a clerk signs in, finds a person by
document (a mistyped number is explained beside the field), issues a certificate whose printed QR
verifies as a paper token, reprints it, then revokes it, and the verification API refuses it."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp

from healthcode.cli.demo_people import DEMO_PEOPLE
from healthcode.domain.tokens import TokenKind
from healthcode.domain.tokens.format import decode_claims, open_envelope
from tests.browser.conftest import LiveServer, fits_the_screen, serious_accessibility_problems, staff_page
from tests.browser.test_code_in_browser import verify

DESK = "/staff/certificates"
# 王红, resident ID: the other browser tests on the demo server leave this person's colour alone
PERSON = next(person for person in DEMO_PEOPLE if person.colour == "red")
PAPER_VALID_DAYS = 14  # HEALTHCODE_PAPER_VALID_DAYS, not set by the browser tests


def no_serious_problems(desk: Any) -> None:
    assert serious_accessibility_problems(desk) == []
    assert fits_the_screen(desk)


def find(desk: Any, number: str) -> None:
    """Fill the lookup form and submit it from the keyboard."""
    desk.get_by_label("证件类型").select_option("resident_id")
    field = desk.get_by_label("证件号码")
    field.fill(number)
    field.press("Enter")
    desk.wait_for_load_state()


def download_pdf(desk: Any, button: str) -> bytes:
    """Press ``button`` and return the PDF the browser downloads."""
    with desk.expect_download() as download:
        desk.get_by_role("button", name=button).click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    return pdf


def printed_token(pdf: bytes) -> str:
    """The QR on the certificate's first page, read back from a 150 dpi rendering."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil().convert("L")
    finally:
        document.close()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1
    return str(codes[0].text)


def serial_of(token: str) -> str:
    """The certificate number the token carries; checks it is a paper token."""
    claims = decode_claims(open_envelope(token).payload)
    assert claims.kind is TokenKind.PAPER
    return claims.token_id.hex()


def shown(serial: str) -> str:
    """A certificate number as the desk shows it: upper case, in groups of four."""
    return " ".join(serial[i : i + 4] for i in range(0, len(serial), 4)).upper()


def row(desk: Any, serial: str) -> Any:
    return desk.locator("#certificates li").filter(has_text=f"证明编号 {shown(serial)}")


def wait_until_refused(server: LiveServer, token: str, timeout_s: float = 10) -> dict[str, Any]:
    """Verify until the verifier's next refresh of revocations shows the token revoked."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = verify(server, token)
        if result["reason"] == "revoked" or time.monotonic() > deadline:
            return result
        time.sleep(0.25)


def test_clerk_issues_reprints_and_revokes_a_certificate(browser: Any, demo_server: LiveServer) -> None:
    context, desk = staff_page(browser, demo_server, "clerk.li", "clerk")
    try:
        desk.locator("#desks").get_by_role("link", name="纸质证明").click()
        desk.wait_for_url(f"{demo_server.url}{DESK}")
        assert desk.get_by_role("heading", name="纸质证明", exact=True).is_visible()
        no_serious_problems(desk)

        # A mistyped last character is explained beside the number, which is kept for correcting.
        wrong = "1" if PERSON.number[-1] != "1" else "2"
        find(desk, PERSON.number[:-1] + wrong)
        error = desk.locator("#document_number + #document_number-error")
        assert "最后一位" in error.inner_text()
        field = desk.get_by_label("证件号码")
        assert field.get_attribute("aria-invalid") == "true"
        assert field.get_attribute("aria-describedby") == "document_number-error"
        assert field.input_value() == PERSON.number[:-1] + wrong
        assert desk.locator("#person").count() == 0
        no_serious_problems(desk)

        # A valid number nobody holds a card for: the clerk may register the person at the desk
        # (test_walk_ins_in_browser.py follows that through).
        find(desk, "11010519491231002X")
        assert "为本人现场登记" in desk.locator("#document_number-error").inner_text()
        assert desk.get_by_role("button", name="为此人现场登记").is_visible()

        find(desk, PERSON.number)
        desk.wait_for_url(f"{demo_server.url}{DESK}?card=*")
        assert PERSON.number not in desk.url
        person = desk.locator("#person")
        assert person.get_by_role("heading").inner_text() == "王*"
        assert PERSON.number not in person.inner_text(), "the desk shows the document masked"
        assert desk.locator("#colour").inner_text() == "红码"
        no_serious_problems(desk)

        # Issue: the browser downloads a PDF whose QR verifies as a red paper certificate.
        before = datetime.now(UTC)
        first = printed_token(download_pdf(desk, "开具证明（PDF）"))
        result = verify(demo_server, first)
        assert (result["valid"], result["reason"], result["colour"], result["masked_name"]) == (
            True,
            "ok",
            "red",
            "王*",
        )
        expires = datetime.fromisoformat(result["expires_at"].replace("Z", "+00:00"))
        assert abs(expires - before - timedelta(days=PAPER_VALID_DAYS)) < timedelta(minutes=5)
        first_serial = serial_of(first)
        # the desk reloads by itself after the download: the list shows the new certificate
        row(desk, first_serial).wait_for()
        assert row(desk, first_serial).get_attribute("data-status") == "valid"
        assert "有效" in row(desk, first_serial).inner_text()
        no_serious_problems(desk)

        # Reprint on A5: a new certificate replaces the first, which the checkpoints now refuse.
        row(desk, first_serial).get_by_label("纸张大小").select_option("A5")
        second_pdf = download_pdf(desk, "补打（原证明将作废）")
        document = pdfium.PdfDocument(second_pdf)
        assert [round(side) for side in document[0].get_size()] == [420, 595], "A5 in points"
        document.close()
        second = printed_token(second_pdf)
        second_serial = serial_of(second)
        assert second_serial != first_serial
        assert verify(demo_server, second)["reason"] == "ok"
        assert wait_until_refused(demo_server, first)["reason"] == "revoked"
        row(desk, second_serial).wait_for()
        assert "已补打替换" in row(desk, first_serial).inner_text()
        assert "有效" in row(desk, second_serial).inner_text()
        assert desk.get_by_role("button", name="补打（原证明将作废）").count() == 1, "only the valid one"
        no_serious_problems(desk)

        # Revoke: a reason is required; with one, the desk says the certificate is revoked.
        current = row(desk, second_serial)
        current.get_by_role("button", name="撤销").click()
        reason = row(desk, second_serial).get_by_label("撤销原因")
        assert reason.get_attribute("aria-invalid") == "true"
        described = reason.get_attribute("aria-describedby")
        assert "请填写撤销原因" in desk.locator(f"#{described}").inner_text(), "the message is beside the field"
        no_serious_problems(desk)
        reason.fill("持证人已离开本市")
        reason.press("Enter")
        desk.wait_for_url(f"{demo_server.url}{DESK}?card=*")
        assert "证明已撤销" in desk.locator("#notice").inner_text()
        revoked = row(desk, second_serial)
        assert revoked.get_attribute("data-status") == "revoked"
        assert "已撤销" in revoked.inner_text()
        assert "持证人已离开本市" in revoked.inner_text()
        assert desk.get_by_role("button", name="撤销").count() == 0, "nothing valid is left to revoke"
        no_serious_problems(desk)
        assert wait_until_refused(demo_server, second)["reason"] == "revoked"
    finally:
        context.close()
