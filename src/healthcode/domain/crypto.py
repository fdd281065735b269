"""Personal data at rest (SPEC §12) and the health-card ID (SPEC §3).

Three tools, all pure:

- :class:`DataKeyring` encrypts single values (document numbers, photos) with AES-256-GCM. Each
  blob names the key that wrote it, so keys rotate without a flag day: the active key encrypts,
  every key in the ring decrypts, and :meth:`DataKeyring.rotate` moves old blobs forward. Each
  value is bound to a *context* (table, row and column, e.g. ``b"person:42:document_number"``), so
  a ciphertext copied to another row or column does not decrypt there.
- :func:`blind_index` is the keyed hash that lookups go through ("is this document already
  registered?") without decrypting anything or storing the plain value.
- :func:`card_id` is the electronic health card's ID in the national scheme: SM4 of document type
  code and number under the platform key.

The blob layout, the blind index input and the card ID are wire formats: stored data depends on
them byte for byte. The rules for changing them are written where each is defined.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from collections.abc import Mapping
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_BYTES = 32
CARD_KEY_BYTES = 16
CARD_ID_HEX_CHARS = 64
_CARD_PLAINTEXT_BYTES = 32  # two SM4 blocks
_KEY_ID = re.compile(r"[a-z0-9_-]{1,16}")
# Strict urlsafe alphabet: base64's own decoder silently drops characters outside it.
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")

# Blob layout, version 1:
#
#     version (1 byte, 0x01) | len(key_id) (1 byte) | key_id (ASCII) | nonce (12 bytes)
#     | AES-256-GCM ciphertext with its 16-byte tag
#
# The associated data is the header (version, length and key id) followed by the context. The
# header is length-prefixed, so header + context splits only one way; binding the version and key
# id means neither can be swapped without the tag failing.
#
# This layout is append-only: never change the meaning of a version byte once blobs carrying it are
# stored. A different layout (another cipher, another nonce size, more header fields) gets a new
# version byte and its own branch in decrypt, and version 1 stays readable until every stored blob
# has been rotated forward.
_VERSION_1 = 0x01
_NONCE_BYTES = 12
_TAG_BYTES = 16


class DecryptionFailed(Exception):
    """A blob did not decrypt: wrong key, tampered bytes, unknown key id or version, wrong context.

    The reasons are not told apart on purpose (beyond the message for operators): to a caller they
    all mean "this stored value cannot be trusted".
    """


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError(f"key id {key_id!r} must be 1-16 characters of a-z, 0-9, '_' or '-'")


def _decode_key(key_id: str, encoded: str) -> bytes:
    # Messages name the key id but never echo the key material: they end up in logs.
    if not _URLSAFE_B64.fullmatch(encoded):
        raise ValueError(f"key {key_id!r}: the key is not urlsafe base64 (A-Z a-z 0-9 - _)")
    try:
        # Padding is optional; re-pad from the bare characters so stray '=' cannot hide a bad length.
        bare = encoded.rstrip("=")
        key = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except binascii.Error:
        raise ValueError(f"key {key_id!r}: the key is not valid base64 (wrong length)") from None
    if len(key) != DATA_KEY_BYTES:
        raise ValueError(f"key {key_id!r}: the key is {len(key)} bytes, it must be {DATA_KEY_BYTES}")
    return key


class DataKeyring:
    """AES-256-GCM keys by id; the active key encrypts, every key decrypts (rotation)."""

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if not keys:
            raise ValueError("the keyring needs at least one key")
        ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if not isinstance(key, bytes) or len(key) != DATA_KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {DATA_KEY_BYTES} bytes")
            ciphers[key_id] = AESGCM(key)
        if active not in ciphers:
            raise ValueError(f"the active key {active!r} is not in the keyring")
        self._ciphers = ciphers
        self._active = active

    @classmethod
    def parse(cls, spec: str) -> DataKeyring:
        """Build a keyring from settings: ``"k2:<urlsafe base64>,k1:<urlsafe base64>"``.

        The first key is the active one; the others stay to decrypt what they wrote. Spaces and
        line breaks around entries are ignored (the value may come from a multi-line secret).
        """
        entries = [entry.strip() for entry in spec.split(",")]
        if not any(entries):
            raise ValueError("the key spec is empty; expected 'id:<urlsafe base64 of 32 bytes>,...'")
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(entries, start=1):
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise ValueError(f"entry {position} of the key spec is not 'id:<urlsafe base64 of 32 bytes>'")
            key_id, encoded = key_id.strip(), encoded.strip()
            _check_key_id(key_id)
            if key_id in keys:
                raise ValueError(f"key id {key_id!r} appears twice in the key spec")
            keys[key_id] = _decode_key(key_id, encoded)
        return cls(keys, active=next(iter(keys)))

    @property
    def active_id(self) -> str:
        """The id of the key that encrypts new values."""
        return self._active

    def __repr__(self) -> str:
        # Ids only: a keyring in a traceback or log must not show key material.
        return f"DataKeyring(active={self._active!r}, ids={sorted(self._ciphers)!r})"

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Encrypt under the active key, bound to ``context``; a fresh random nonce every time."""
        key_id = self._active.encode("ascii")
        header = bytes([_VERSION_1, len(key_id)]) + key_id
        # Random 96-bit nonces are safe for about 2**32 encryptions per key; rotation keeps far below.
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return header + nonce + self._ciphers[self._active].encrypt(nonce, plaintext, header + context)

    def decrypt(self, blob: bytes, *, context: bytes) -> bytes:
        """Decrypt a blob written by any key in the ring, under the same ``context``."""
        key_id, header, body = self._split(blob)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionFailed(f"blob was encrypted with key {key_id!r}, which is not in the keyring")
        nonce, sealed = body[:_NONCE_BYTES], body[_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, sealed, header + context)
        except InvalidTag:
            raise DecryptionFailed(
                f"blob under key {key_id!r} does not authenticate (tampered, or a different context)"
            ) from None

    def encrypt_text(self, text: str, *, context: str) -> bytes:
        """:meth:`encrypt` for text: both encoded UTF-8."""
        return self.encrypt(text.encode(), context=context.encode())

    def decrypt_text(self, blob: bytes, *, context: str) -> str:
        """:meth:`decrypt` for text written by :meth:`encrypt_text`."""
        plaintext = self.decrypt(blob, context=context.encode())
        try:
            return plaintext.decode()
        except UnicodeDecodeError:
            raise DecryptionFailed("blob authenticates but does not hold UTF-8 text") from None

    def key_id_of(self, blob: bytes) -> str:
        """The id of the key a blob was encrypted with (read from its header, nothing decrypted)."""
        return self._split(blob)[0]

    def needs_rotation(self, blob: bytes) -> bool:
        """True when the blob was encrypted under a key other than the active one."""
        return self.key_id_of(blob) != self._active

    def rotate(self, blob: bytes, *, context: bytes) -> bytes:
        """Decrypt with the blob's own key and encrypt again with the active key.

        Always re-encrypts (with a new nonce), also for a blob already under the active key; a
        rotation job asks :meth:`needs_rotation` first to skip those writes.
        """
        return self.encrypt(self.decrypt(blob, context=context), context=context)

    @staticmethod
    def _split(blob: bytes) -> tuple[str, bytes, bytes]:
        """Parse the header: ``(key_id, header bytes, nonce + sealed)``; malformed blobs fail."""
        if len(blob) < 2:
            raise DecryptionFailed("blob is too short to be encrypted data")
        if blob[0] != _VERSION_1:
            raise DecryptionFailed(f"blob has unknown format version {blob[0]}")
        id_len = blob[1]
        header_len = 2 + id_len
        if id_len == 0 or len(blob) < header_len + _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionFailed("blob is truncated")
        try:
            key_id = blob[2:header_len].decode("ascii")
        except UnicodeDecodeError:
            raise DecryptionFailed("blob header holds a malformed key id") from None
        if not _KEY_ID.fullmatch(key_id):
            raise DecryptionFailed("blob header holds a malformed key id")
        return key_id, blob[:header_len], blob[header_len:]


def generate_key_spec(key_id: str) -> str:
    """A new data key as a key spec entry: ``"id:<urlsafe base64 of 32 random bytes>"``."""
    _check_key_id(key_id)
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(DATA_KEY_BYTES)).decode('ascii')}"


def blind_index(key: bytes, value: str, *, purpose: str) -> str:
    """Keyed hash for equality lookups of an encrypted value: 64 lowercase hex characters.

    ``HMAC-SHA256(key, len(purpose) as 4 bytes big-endian | purpose | value)``, both UTF-8. The
    length prefix keeps ("ab", "c") and ("a", "bc") apart; the purpose (e.g. ``"document"``,
    ``"phone"``) keeps indexes of different fields from being compared with each other.

    Callers normalise ``value`` first (the same document must give the same string). This input
    encoding is a wire format: changing it, or the key, orphans every stored index, so a change
    means a new purpose name and a re-index, never an edit in place.
    """
    if not key:
        raise ValueError("the blind index key is empty")
    if not purpose:
        raise ValueError("the blind index purpose is empty")
    purpose_bytes = purpose.encode()
    message = len(purpose_bytes).to_bytes(4, "big") + purpose_bytes + value.encode()
    return hmac.new(key, message, sha256).hexdigest()


OPAQUE_ID = re.compile(r"[0-9a-f]{32}")
"""The form of every :func:`opaque_id`."""


def opaque_id() -> str:
    """A card's identifier in URLs, pages and the API: 128 random bits, 32 hex characters. Random,
    so it says nothing of the person and two cards' identifiers share nothing (the national card
    ID of :func:`card_id` is SM4-ECB of the document, so people of one county and birth date share
    its first half: it stays inside the platform and in exchanges with other health-card systems)."""
    return secrets.token_hex(16)


def card_id(key: bytes, type_code: str, number: str) -> str:
    """The electronic health card ID of the national scheme: 64 uppercase hex characters.

    SM4 of ``type_code + number`` (UTF-8, PKCS#7-padded to 32 bytes) under the 16-byte platform
    key. Deterministic: one document, one card ID (SPEC §3 "one person, one card"). Callers pass
    the normalised number (resident IDs with an uppercase ``X``). The result is stored and shared
    with other health-card systems, so this construction must never change.
    """
    if len(key) != CARD_KEY_BYTES:
        raise ValueError(f"the card key must be {CARD_KEY_BYTES} bytes (SM4), not {len(key)}")
    if not type_code or not number:
        raise ValueError("a card ID needs both the document type code and the document number")
    data = (type_code + number).encode()
    # PKCS#7 always adds at least one byte, so 31 bytes is the most that fits in two blocks.
    if len(data) >= _CARD_PLAINTEXT_BYTES:
        raise ValueError(
            f"document type code and number take {len(data)} bytes; at most {_CARD_PLAINTEXT_BYTES - 1} fit"
        )
    padder = padding.PKCS7(_CARD_PLAINTEXT_BYTES * 8).padder()
    padded = padder.update(data) + padder.finalize()
    # ECB on purpose, as the scheme prescribes: the ID must be deterministic (no IV or nonce), it is
    # exactly two blocks, and the input (type code + number) is already unique per document, so two
    # documents never share an ID. The one ECB property left: IDs whose inputs agree in bytes 16-31
    # (for a resident ID, the last 4 characters) share their second half. The key stays secret, so
    # that shows equality only, never the characters themselves.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    return (encryptor.update(padded) + encryptor.finalize()).hex().upper()
