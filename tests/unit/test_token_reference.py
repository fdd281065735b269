"""The card reference a token carries for its issuer (domain/tokens/reference.py)."""

from __future__ import annotations

import pytest

from healthcode.domain.tokens.reference import open_card_reference, reference_key, seal_card_reference

KEY = reference_key(b"index key of the platform, 32+ characters long")


@pytest.mark.parametrize("row_id", [1, 42, 2**31 - 1, 2**63 - 1])
def test_the_issuer_gets_the_card_back(row_id: int) -> None:
    token_id = bytes.fromhex("0102030405060708")
    reference = seal_card_reference(KEY, row_id, token_id)
    assert len(reference) == 8
    assert open_card_reference(KEY, reference, token_id) == row_id


def test_two_tokens_of_one_card_share_nothing_visible() -> None:
    first = seal_card_reference(KEY, 42, bytes(8))
    second = seal_card_reference(KEY, 42, bytes(7) + b"\x01")
    assert first != second
    assert sum(a == b for a, b in zip(first, second, strict=True)) < 4


def test_another_key_or_another_token_id_opens_to_another_card() -> None:
    token_id = bytes.fromhex("0102030405060708")
    reference = seal_card_reference(KEY, 42, token_id)
    assert open_card_reference(reference_key(b"some other platform's index key!!"), reference, token_id) != 42
    assert open_card_reference(KEY, reference, bytes(8)) != 42


def test_the_key_is_derived_not_the_index_key_itself() -> None:
    master = b"index key of the platform, 32+ characters long"
    assert len(reference_key(master)) == 32
    assert reference_key(master) != master[:32]


def test_a_token_id_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        seal_card_reference(KEY, 1, bytes(7))
