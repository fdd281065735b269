"""The card reference a token carries for its issuer alone (claim 6 of :mod:`.format`).

A checkpoint that scans one of our own codes and then takes a fever reading must find the card to
recolour it (SPEC §8), but a token must not name the person to anyone else. So a token carries its
card's row id (8 bytes, big-endian) XOR the first 8 bytes of ``HMAC-SHA256(key, token id)``: a
one-time pad, since every token id is 8 fresh random bytes and HMAC under a key only the issuer
holds is a pseudo-random function of it.

- Two tokens of one card share nothing another verifier could link (different token ids, unrelated
  pads); the signature over the claims keeps anyone from changing the reference.
- 8 bytes, not a 16-byte block: with it a live token stays in QR version 9 at level M.
- Only the issuer opens references, of tokens that name it as issuer and verified ``ok``; the
  checkpoint reads the card only when it records a fever (and skips a row that is not there).
- Verifiers ignore the claim (an unknown key to them), so adding it was compatible.

The key is derived with HKDF-SHA256 from the platform's index key (``HEALTHCODE_INDEX_KEY``, which
never changes), so paper certificates stay readable for their whole validity.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from hashlib import sha256

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from healthcode.domain.tokens.format import CARD_REFERENCE_BYTES, TOKEN_ID_BYTES

_INFO = b"healthcode token card reference v1"


@lru_cache(maxsize=4)
def reference_key(master: bytes) -> bytes:
    """The 32-byte HMAC key of card references, derived from ``master`` (the index key's bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master)


def _pad(key: bytes, token_id: bytes) -> int:
    if len(token_id) != TOKEN_ID_BYTES:
        raise ValueError(f"a token id is {TOKEN_ID_BYTES} bytes")
    return int.from_bytes(hmac.digest(key, token_id, sha256)[:CARD_REFERENCE_BYTES], "big")


def seal_card_reference(key: bytes, card_row_id: int, token_id: bytes) -> bytes:
    """The 8-byte reference to card row ``card_row_id`` in the token named ``token_id``."""
    return (card_row_id ^ _pad(key, token_id)).to_bytes(CARD_REFERENCE_BYTES, "big")


def open_card_reference(key: bytes, reference: bytes, token_id: bytes) -> int:
    """The card row id that :func:`seal_card_reference` put in ``reference``."""
    return int.from_bytes(reference, "big") ^ _pad(key, token_id)
