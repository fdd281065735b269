"""Costs of protecting personal data: sealing values, card IDs, lookups, cleaning a phone photo."""

from typing import Any

import pytest

from benchmarks.phonephotos import phone_jpeg
from healthcode.domain.crypto import DataKeyring, blind_index, card_id, generate_key_spec
from healthcode.photos.images import clean_photo

NUMBER = "150102199003071234"
KEYRING = DataKeyring.parse(generate_key_spec("k1"))


def test_seal_document_number(benchmark: Any) -> None:
    benchmark(KEYRING.encrypt_text, NUMBER, context="card:x:document")


def test_open_document_number(benchmark: Any) -> None:
    blob = KEYRING.encrypt_text(NUMBER, context="card:x:document")
    assert benchmark(KEYRING.decrypt_text, blob, context="card:x:document") == NUMBER


def test_card_id(benchmark: Any) -> None:
    assert len(benchmark(card_id, bytes(16), "01", NUMBER)) == 64


def test_blind_index(benchmark: Any) -> None:
    benchmark(blind_index, b"k" * 32, "citizen:" + NUMBER, purpose="document")


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A 12-megapixel JPEG, as a mid-range phone takes it."""
    return phone_jpeg()


def test_clean_a_phone_photo(benchmark: Any, phone_photo: bytes) -> None:
    cleaned = benchmark.pedantic(clean_photo, args=(phone_photo,), kwargs={"max_bytes": 20_000_000}, rounds=5)
    assert (cleaned.width, cleaned.height) == (1500, 2000)  # decoded at half size, upright
