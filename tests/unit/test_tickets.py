"""SPEC §10, FAQ 6/8/9: what a support ticket may be about, and the text a resident writes."""

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.tickets import (
    TEXT_MAX_LENGTH,
    TicketCategory,
    TicketStatus,
    normalize_text,
    parse_category,
    parse_error_code,
    status_label,
)


def test_categories_are_the_stored_words() -> None:
    assert [c.value for c in TicketCategory] == ["realname_failed", "phone_taken", "parameter_error", "family", "other"]


@pytest.mark.parametrize(
    ("category", "label"),
    [
        (TicketCategory.REALNAME_FAILED, "My real-name verification does not pass"),
        (TicketCategory.PHONE_TAKEN, "My document's card is on another phone"),
        (TicketCategory.PARAMETER_ERROR, "The app does not accept my details"),
        (TicketCategory.FAMILY, "Adding or removing a family member"),
        (TicketCategory.OTHER, "Something else"),
    ],
)
def test_every_category_has_an_english_label(category: TicketCategory, label: str) -> None:
    assert category.label == label


def test_tickets_about_a_document_need_name_and_document() -> None:
    assert {c for c in TicketCategory if c.needs_identity} == {
        TicketCategory.REALNAME_FAILED,
        TicketCategory.PHONE_TAKEN,
        TicketCategory.PARAMETER_ERROR,
    }


def test_self_service_hints_where_a_safe_path_exists() -> None:
    assert TicketCategory.PHONE_TAKEN.hint is not None
    assert "apply for it on this phone" in TicketCategory.PHONE_TAKEN.hint
    assert TicketCategory.REALNAME_FAILED.hint is not None
    assert TicketCategory.OTHER.hint is None


@pytest.mark.parametrize("raw", ["realname_failed", " Phone_Taken ", "OTHER"])
def test_category_is_read_in_any_case(raw: str) -> None:
    assert parse_category(raw).value == raw.strip().lower()


@pytest.mark.parametrize("raw", ["", "complaint", "realname"])
def test_unknown_category_is_refused_with_the_list(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_category(raw)
    assert (caught.value.code, caught.value.field) == ("ticket_category_unknown", "category")
    assert "phone_taken" in caught.value.params["known"]


def test_status_labels() -> None:
    assert status_label("open") == TicketStatus.OPEN.label
    assert status_label("escalated") == "escalated", "a status added later shows as stored"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  它一直审核不通过  ", "它一直审核不通过"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("x" * TEXT_MAX_LENGTH, "x" * TEXT_MAX_LENGTH),
        ("ab\r\n" * 666 + "ab", ("ab\n" * 666 + "ab")),
    ],
)
def test_text_is_trimmed_and_line_breaks_count_once(raw: str, stored: str) -> None:
    assert normalize_text(raw) == stored


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "ticket_text_required", {}),
        (" \r\n\t ", "ticket_text_required", {}),
        ("x" * (TEXT_MAX_LENGTH + 1), "ticket_text_too_long", {"max_length": 2000, "length": 2001}),
    ],
)
def test_bad_text_is_refused_on_the_text_field(raw: str, code: str, params: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_text(raw)
    assert (caught.value.code, caught.value.field, caught.value.params) == (code, "text", params)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, None),
        ("", None),
        (" document_checksum ", "document_checksum"),
        ("card_application_pending", "card_application_pending"),
    ],
)
def test_error_code_is_kept_when_it_looks_like_one(raw: str | None, code: str | None) -> None:
    assert parse_error_code(raw) == code


@pytest.mark.parametrize("raw", ["<script>", "Document_Checksum", "a" * 41, "1abc", "code with spaces"])
def test_anything_else_is_not_an_error_code(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_error_code(raw)
    assert (caught.value.code, caught.value.field) == ("ticket_error_code_invalid", "error_code")
