"""Personal data encryption, blind indexes and the health-card ID (SPEC §3, §12)."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from healthcode.domain.crypto import (
    DataKeyring,
    DecryptionFailed,
    blind_index,
    card_id,
    generate_key_spec,
)

K1 = bytes(range(32))
K2 = bytes(range(100, 132))
CONTEXT = b"person:42:document_number"
DOCUMENT = "150102199003077777"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def old_ring() -> DataKeyring:
    return DataKeyring({"k1": K1}, active="k1")


def new_ring() -> DataKeyring:
    return DataKeyring({"k2": K2, "k1": K1}, active="k2")


# --- encryption at rest --------------------------------------------------------------------


def test_a_value_round_trips() -> None:
    ring = new_ring()
    assert ring.decrypt(ring.encrypt(b"secret", context=CONTEXT), context=CONTEXT) == b"secret"


def test_text_round_trips_including_chinese() -> None:
    ring = new_ring()
    blob = ring.encrypt_text("张三 150102199003077777", context="person:42:name")
    assert ring.decrypt_text(blob, context="person:42:name") == "张三 150102199003077777"


def test_empty_value_round_trips() -> None:
    ring = new_ring()
    assert ring.decrypt(ring.encrypt(b"", context=CONTEXT), context=CONTEXT) == b""


@given(plaintext=st.binary(max_size=2048), context=st.binary(max_size=64))
def test_any_bytes_round_trip_under_any_context(plaintext: bytes, context: bytes) -> None:
    ring = new_ring()
    assert ring.decrypt(ring.encrypt(plaintext, context=context), context=context) == plaintext


@given(text=st.text(max_size=200), context=st.text(max_size=40))
def test_any_text_round_trips(text: str, context: str) -> None:
    ring = new_ring()
    assert ring.decrypt_text(ring.encrypt_text(text, context=context), context=context) == text


def test_the_same_value_encrypts_differently_each_time() -> None:
    ring = new_ring()
    blobs = {ring.encrypt(DOCUMENT.encode(), context=CONTEXT) for _ in range(20)}
    assert len(blobs) == 20


def test_the_ciphertext_does_not_contain_the_value() -> None:
    blob = new_ring().encrypt(DOCUMENT.encode(), context=CONTEXT)
    assert DOCUMENT.encode() not in blob


def test_blob_layout_is_version_key_id_nonce_then_ciphertext_and_tag() -> None:
    blob = new_ring().encrypt(b"abc", context=CONTEXT)
    assert blob[:4] == b"\x01\x02k2"
    assert len(blob) == 4 + 12 + 3 + 16


def test_a_value_moved_to_another_row_does_not_decrypt() -> None:
    ring = new_ring()
    blob = ring.encrypt(DOCUMENT.encode(), context=b"person:42:document_number")
    with pytest.raises(DecryptionFailed):
        ring.decrypt(blob, context=b"person:43:document_number")


def test_a_value_moved_to_another_column_does_not_decrypt() -> None:
    ring = new_ring()
    blob = ring.encrypt_text(DOCUMENT, context="person:42:document_number")
    with pytest.raises(DecryptionFailed):
        ring.decrypt_text(blob, context="person:42:phone")


def test_every_flipped_byte_is_detected() -> None:
    ring = new_ring()
    blob = ring.encrypt(b"some personal data", context=CONTEXT)
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionFailed):
            ring.decrypt(bytes(tampered), context=CONTEXT)


@pytest.mark.parametrize("cut", [0, 1, 3, 10, 20])
def test_a_truncated_blob_fails(cut: int) -> None:
    ring = new_ring()
    blob = ring.encrypt(b"x", context=CONTEXT)
    with pytest.raises(DecryptionFailed):
        ring.decrypt(blob[:cut], context=CONTEXT)


def test_an_unknown_format_version_fails() -> None:
    ring = new_ring()
    blob = ring.encrypt(b"x", context=CONTEXT)
    with pytest.raises(DecryptionFailed, match="version"):
        ring.decrypt(b"\x02" + blob[1:], context=CONTEXT)


def test_a_blob_from_an_unknown_key_fails() -> None:
    blob = DataKeyring({"k9": bytes(32)}, active="k9").encrypt(b"x", context=CONTEXT)
    with pytest.raises(DecryptionFailed, match="k9"):
        new_ring().decrypt(blob, context=CONTEXT)


def test_a_different_key_under_the_same_id_fails() -> None:
    blob = DataKeyring({"k1": bytes(32)}, active="k1").encrypt(b"x", context=CONTEXT)
    with pytest.raises(DecryptionFailed):
        old_ring().decrypt(blob, context=CONTEXT)


def test_the_keyring_repr_shows_ids_not_keys() -> None:
    text = repr(new_ring())
    assert "k1" in text
    assert "k2" in text
    assert K1.hex() not in text
    assert b64(K1) not in text


# --- rotation ------------------------------------------------------------------------------


def test_a_blob_from_the_old_key_decrypts_after_a_new_key_becomes_active() -> None:
    blob = old_ring().encrypt(b"written last year", context=CONTEXT)
    assert new_ring().decrypt(blob, context=CONTEXT) == b"written last year"


def test_new_values_are_written_under_the_active_key() -> None:
    ring = new_ring()
    blob = ring.encrypt(b"x", context=CONTEXT)
    assert ring.key_id_of(blob) == "k2"
    assert not ring.needs_rotation(blob)


def test_rotation_moves_an_old_blob_to_the_active_key() -> None:
    old_blob = old_ring().encrypt(b"written last year", context=CONTEXT)
    ring = new_ring()
    assert ring.key_id_of(old_blob) == "k1"
    assert ring.needs_rotation(old_blob)

    rotated = ring.rotate(old_blob, context=CONTEXT)

    assert ring.key_id_of(rotated) == "k2"
    assert not ring.needs_rotation(rotated)
    assert ring.decrypt(rotated, context=CONTEXT) == b"written last year"
    # Once k1 is retired, only the rotated blob still decrypts.
    retired = DataKeyring({"k2": K2}, active="k2")
    assert retired.decrypt(rotated, context=CONTEXT) == b"written last year"
    with pytest.raises(DecryptionFailed):
        retired.decrypt(old_blob, context=CONTEXT)


def test_rotation_checks_the_context() -> None:
    old_blob = old_ring().encrypt(b"x", context=CONTEXT)
    with pytest.raises(DecryptionFailed):
        new_ring().rotate(old_blob, context=b"person:43:document_number")


def test_key_id_of_a_malformed_blob_fails() -> None:
    with pytest.raises(DecryptionFailed):
        new_ring().key_id_of(b"\x01")


# --- building a keyring --------------------------------------------------------------------


def test_parse_makes_the_first_key_active() -> None:
    ring = DataKeyring.parse(f"k2:{b64(K2)},k1:{b64(K1)}")
    assert ring.active_id == "k2"
    assert ring.decrypt(old_ring().encrypt(b"x", context=CONTEXT), context=CONTEXT) == b"x"
    assert new_ring().decrypt(ring.encrypt(b"y", context=CONTEXT), context=CONTEXT) == b"y"


def test_parse_ignores_spaces_and_line_breaks_and_missing_padding() -> None:
    ring = DataKeyring.parse(f" k2:{b64(K2).rstrip('=')} ,\n k1:{b64(K1)}\n")
    assert ring.active_id == "k2"


def test_generated_key_specs_parse() -> None:
    spec = generate_key_spec("2026-03")
    assert re.fullmatch(r"2026-03:[A-Za-z0-9_-]{43}=", spec)
    assert generate_key_spec("k") != generate_key_spec("k")
    ring = DataKeyring.parse(f"{spec},{generate_key_spec('2025-09')}")
    assert ring.active_id == "2026-03"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("k1", "not 'id:"),
        (f"k1:{b64(K1)[:-2]}!=", "not urlsafe base64"),
        ("k1:" + base64.b64encode(bytes([0xFB]) * 32).decode(), "not urlsafe base64"),
        ("k1:QUJDR", "wrong length"),
        (f"k1:{b64(bytes(16))}", "16 bytes, it must be 32"),
        (f"k1:{b64(bytes(33))}", "33 bytes, it must be 32"),
        (f"k1:{b64(K1)},k1:{b64(K2)}", "twice"),
        (f"K1:{b64(K1)}", "key id"),
        (f":{b64(K1)}", "key id"),
        (f"a-very-long-key-id:{b64(K1)}", "key id"),
        (f"k1:{b64(K1)},", "not 'id:"),
    ],
)
def test_bad_key_specs_are_refused_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DataKeyring.parse(spec)


def test_parse_errors_do_not_echo_the_key() -> None:
    secret = b64(bytes(range(24)))
    with pytest.raises(ValueError, match="24 bytes") as caught:
        DataKeyring.parse(f"k1:{secret}")
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("keys", "active"),
    [
        ({}, "k1"),
        ({"k1": bytes(16)}, "k1"),
        ({"k1": K1}, "k2"),
        ({"K1": K1}, "K1"),
    ],
)
def test_a_keyring_refuses_bad_keys(keys: dict[str, bytes], active: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        DataKeyring(keys, active=active)


def test_generate_key_spec_refuses_a_bad_id() -> None:
    with pytest.raises(ValueError, match="key id"):
        generate_key_spec("Bad Id")


# --- blind index ---------------------------------------------------------------------------

INDEX_KEY = b"blind-index-key-for-tests-32byte"


def test_blind_index_is_64_lowercase_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", blind_index(INDEX_KEY, DOCUMENT, purpose="document"))


def test_blind_index_is_stable() -> None:
    first = blind_index(INDEX_KEY, DOCUMENT, purpose="document")
    assert blind_index(INDEX_KEY, DOCUMENT, purpose="document") == first
    # Pinned: stored indexes must keep matching after any refactoring.
    assert first == "3dfd9547052a58d028b28b31f161f77e21eb863561acefeaed4b31cdf6d4ba5e"
    assert first == _reference_blind_index(INDEX_KEY, DOCUMENT, "document")


def _reference_blind_index(key: bytes, value: str, purpose: str) -> str:
    import hmac
    from hashlib import sha256

    p = purpose.encode()
    return hmac.new(key, len(p).to_bytes(4, "big") + p + value.encode(), sha256).hexdigest()


def test_blind_index_depends_on_the_key() -> None:
    assert blind_index(INDEX_KEY, DOCUMENT, purpose="document") != blind_index(
        b"another-key", DOCUMENT, purpose="document"
    )


def test_blind_index_depends_on_the_purpose() -> None:
    assert blind_index(INDEX_KEY, "13800000000", purpose="phone") != blind_index(
        INDEX_KEY, "13800000000", purpose="document"
    )


def test_blind_index_depends_on_the_value() -> None:
    assert blind_index(INDEX_KEY, DOCUMENT, purpose="document") != blind_index(
        INDEX_KEY, "150102199003077778", purpose="document"
    )


def test_blind_index_keeps_purpose_and_value_apart() -> None:
    assert blind_index(INDEX_KEY, "bc", purpose="a") != blind_index(INDEX_KEY, "c", purpose="ab")


@pytest.mark.parametrize(("key", "purpose"), [(b"", "document"), (INDEX_KEY, "")])
def test_blind_index_refuses_an_empty_key_or_purpose(key: bytes, purpose: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        blind_index(key, DOCUMENT, purpose=purpose)


# --- health-card ID ------------------------------------------------------------------------

CARD_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_matches_the_gb_t_32907_test_vector() -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.SM4(CARD_KEY), modes.ECB()).encryptor()  # noqa: S305
    assert (encryptor.update(CARD_KEY) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_card_id_is_sm4_of_the_padded_document_under_the_card_key() -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    plaintext = b"01" + DOCUMENT.encode() + bytes([12]) * 12
    encryptor = Cipher(algorithms.SM4(CARD_KEY), modes.ECB()).encryptor()  # noqa: S305
    expected = (encryptor.update(plaintext) + encryptor.finalize()).hex().upper()
    assert card_id(CARD_KEY, "01", DOCUMENT) == expected


def test_card_id_is_64_uppercase_hex() -> None:
    assert re.fullmatch(r"[0-9A-F]{64}", card_id(CARD_KEY, "01", DOCUMENT))


@given(type_code=st.sampled_from(["01", "02", "03", "06", "07"]), number=st.text(min_size=1, max_size=20))
def test_card_id_is_always_64_uppercase_hex(type_code: str, number: str) -> None:
    assume(len((type_code + number).encode()) <= 31)
    assert re.fullmatch(r"[0-9A-F]{64}", card_id(CARD_KEY, type_code, number))


def test_one_document_always_gives_the_same_card_id() -> None:
    assert card_id(CARD_KEY, "01", DOCUMENT) == card_id(CARD_KEY, "01", DOCUMENT)
    # Pinned: card IDs are stored and shared with other health-card systems.
    assert card_id(CARD_KEY, "01", DOCUMENT) == "41DEE1F098FAD8246C560E1ABE50680359CA9A49637934B83023B6BE66EF1331"


def test_card_id_differs_by_type_code() -> None:
    assert card_id(CARD_KEY, "01", "E12345678") != card_id(CARD_KEY, "03", "E12345678")


def test_card_id_differs_by_number() -> None:
    assert card_id(CARD_KEY, "01", DOCUMENT) != card_id(CARD_KEY, "01", "150102199003077778")


def test_card_id_differs_by_key() -> None:
    assert card_id(CARD_KEY, "01", DOCUMENT) != card_id(bytes(16), "01", DOCUMENT)


def test_card_id_accepts_31_bytes_and_refuses_32() -> None:
    assert len(card_id(CARD_KEY, "01", "9" * 29)) == 64
    with pytest.raises(ValueError, match="at most 31"):
        card_id(CARD_KEY, "01", "9" * 30)


def test_card_id_counts_bytes_not_characters() -> None:
    with pytest.raises(ValueError, match="at most 31"):
        card_id(CARD_KEY, "01", "护" * 10)  # 10 characters, 30 bytes


@pytest.mark.parametrize("key", [bytes(15), bytes(32), b""])
def test_card_id_needs_a_16_byte_key(key: bytes) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        card_id(key, "01", DOCUMENT)


@pytest.mark.parametrize(("type_code", "number"), [("", DOCUMENT), ("01", "")])
def test_card_id_needs_type_code_and_number(type_code: str, number: str) -> None:
    with pytest.raises(ValueError, match="both"):
        card_id(CARD_KEY, type_code, number)
