"""Masked names and document numbers: recognisable to the owner, useless to a bystander."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcode.domain.masking import mask_document, mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧**娜"),
        ("阿卜杜·热合曼", "阿*****曼"),
        ("张", "*"),
        ("John Smith", "J*** S****"),
        ("Mary-Jane O'Neil", "M******** O*****"),
        ("José", "J***"),
        ("J Smith", "J S****"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("150102199003071234", "1501**********1234"),
        ("11010119900307002X", "1101**********002X"),
        ("AB1234567890CD123456", "AB12************3456"),  # longer than 18: as for 18
        ("ABC123456789012", "A**********9012"),
        ("E12345678", "E****5678"),
        ("12345678", "1***5678"),  # eight characters: the first one shows
        ("1234567", "***4567"),
        ("12345", "*2345"),
        ("1234", "****"),  # the last four would be all of it
        ("", ""),
    ],
)
def test_mask_document(number: str, masked: str) -> None:
    assert mask_document(number) == masked


@given(st.text(alphabet="0123456789ABCDEFGHX", max_size=24))
def test_a_masked_number_keeps_its_length_and_shows_at_most_eight_characters(number: str) -> None:
    masked = mask_document(number)
    assert len(masked) == len(number)
    shown = [(i, char) for i, char in enumerate(masked) if char != "*"]
    assert all(number[i] == char for i, char in shown)
    assert len(shown) <= 8
    if number:
        assert len(shown) < len(number), "something is always hidden"
