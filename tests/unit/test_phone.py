"""Mainland mobile numbers as people type them."""

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.phone import mask_mobile, normalize_mobile


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("19912345678", "19912345678"),
    ],
)
def test_accepts_what_people_paste(typed: str, stored: str) -> None:
    assert normalize_mobile(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "phone_required"),
        ("   ", "phone_required"),
        ("1380013800", "phone_invalid"),  # 10 digits
        ("138001380001", "phone_invalid"),  # 12 digits
        ("04714607155", "phone_invalid"),  # a landline
        ("12345678901", "phone_invalid"),  # no such mobile prefix
        ("+1 650 253 0000", "phone_invalid"),  # not mainland
        ("abcdefghijk", "phone_invalid"),
    ],
)
def test_rejects_with_a_specific_code(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_mobile(typed)
    assert caught.value.code == code
    assert caught.value.field == "phone"


def test_mask_keeps_prefix_and_last_four() -> None:
    assert mask_mobile("13800138000") == "138****8000"
