"""Free text from forms (domain/text.py)."""

from healthcode.domain.text import form_text
from healthcode.domain.tickets import TEXT_MAX_LENGTH, normalize_text


def test_line_breaks_count_as_the_browser_counts_them() -> None:
    assert form_text("  first\r\nsecond\rthird\n ") == "first\nsecond\nthird"
    assert form_text(None) == ""


def test_a_text_filling_maxlength_with_line_breaks_is_accepted() -> None:
    lines = ["x" * 99] * (TEXT_MAX_LENGTH // 100)
    typed = "\r\n".join(lines)  # what the browser sends for a textarea at its maxlength
    assert len(typed) > TEXT_MAX_LENGTH
    assert len(normalize_text(typed)) == TEXT_MAX_LENGTH - 1
