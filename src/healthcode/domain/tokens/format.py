"""The code token's wire format (DESIGN.md "The code token"): what the QR code holds.

::

    "HC1:" + Base45( CBOR tag 18 COSE_Sign1 [
        protected:   bstr .cbor {1 alg: -7 (ES256), 4 kid: bstr 8},
        unprotected: {} (always empty),
        payload:     bstr .cbor CWT claims {1 iss: tstr, 4 exp: uint, 6 iat: uint,
                                            -260 health code: {1 colour, 2 masked name,
                                                               3 masked document, 4 kind,
                                                               5 token id,
                                                               6 card reference (optional)}},
        signature:   bstr 64 (r || s, 32 bytes each, big-endian) ] )

The signature is COSE's over ``["Signature1", protected, b"", payload]`` (RFC 9052 §4.4). The
health-code claims sit under the private claim key -260, as the EU Digital COVID Certificate's do.
Colours travel as one letter (``"g"``, ``"y"``, ``"r"``): a byte each instead of up to six, still
readable in a CBOR dump; :class:`CodeClaims` carries the words the rest of the platform uses.

The format is append-only (STYLE.md 3), like every tag table here:

- never reorder, reuse or delete a key, label or letter below, even one no longer written;
  retired ones stay listed as retired;
- a new field gets a new key at the end of its table, and only if a verifier that ignores it
  still decides correctly: verifiers skip integer keys they do not know;
- a change an old verifier would get wrong if it skipped it (a new meaning for a field, a
  restriction such as "valid only in region X", another algorithm) is incompatible: it gets a new
  prefix (``HC2:``) and verifiers accept both prefixes until the old tokens have expired.

This module turns tokens into structures and back and checks their shape; it decides nothing about
trust (that is :mod:`.verifying`).
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

import cbor2

PREFIX = "HC1:"
# Strict limits, checked before anything is decoded. A real token is about 240 characters and
# 160 bytes; the longest claims :func:`claims_problem` allows stay under both limits.
MAX_TOKEN_CHARS = 1000
MAX_CBOR_BYTES = 600

# COSE (RFC 9052) numbers used here.
COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_KID = 4
ALG_ES256 = -7
KID_BYTES = 8
SIGNATURE_BYTES = 64
_SIG_CONTEXT = "Signature1"

# CWT claim keys (RFC 8392). Append-only.
CLAIM_ISSUER = 1
CLAIM_EXPIRES_AT = 4
CLAIM_ISSUED_AT = 6
CLAIM_HEALTH_CODE = -260

# Keys inside the -260 map. Append-only.
CODE_COLOUR = 1
CODE_MASKED_NAME = 2
CODE_MASKED_DOCUMENT = 3
CODE_KIND = 4
CODE_TOKEN_ID = 5
# 8 bytes only the issuer can open (which card the token shows, see :mod:`.reference`);
# optional, and other verifiers skip it: they need none, as revocation goes by token id.
CODE_CARD_REFERENCE = 6

# Colour words (as in the API) and their one-letter wire form. Append-only.
COLOUR_LETTERS = {"green": "g", "yellow": "y", "red": "r"}
_COLOUR_WORDS = {letter: word for word, letter in COLOUR_LETTERS.items()}

TOKEN_ID_BYTES = 8
CARD_REFERENCE_BYTES = 8
MAX_MASKED_NAME_CHARS = 64
MAX_MASKED_DOCUMENT_CHARS = 32
ISSUER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,31}")
_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
_T = TypeVar("_T")


class TokenKind(IntEnum):
    """What a token is printed on: a live code refreshed on a phone, or a paper certificate."""

    LIVE = 0
    PAPER = 1


@dataclass(frozen=True)
class CodeClaims:
    """What a token says: who issued it, when, and the masked person with their colour.

    Times are epoch seconds; ``colour`` is a word of :data:`COLOUR_LETTERS` (``"green"``, ...);
    ``token_id`` is 8 random bytes that name this token (revocation lists hold them);
    ``card_reference`` is 8 bytes only the issuer can read (:mod:`.reference`), or None.
    """

    issuer: str
    issued_at: int
    expires_at: int
    colour: str
    masked_name: str
    masked_document: str
    kind: TokenKind
    token_id: bytes
    card_reference: bytes | None = None


class MalformedToken(ValueError):
    """The token is not well-formed HC1 (wrong prefix, bad Base45 or CBOR, wrong shape or types)."""


@dataclass(frozen=True)
class Envelope:
    """A COSE_Sign1 taken apart; nothing in it is trusted until the signature is checked."""

    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes


def claims_problem(claims: CodeClaims) -> str | None:
    """What makes ``claims`` unfit for a token, or None. Issuing and verifying use the same rules."""
    if not isinstance(claims.issuer, str) or not ISSUER_PATTERN.fullmatch(claims.issuer):
        return "issuer must be 1-32 characters of A-Z a-z 0-9 . _ : - (e.g. CN-150100)"
    for name, value in (("issued_at", claims.issued_at), ("expires_at", claims.expires_at)):
        if not _is_int(value) or not 0 <= value <= _MAX_EPOCH:
            return f"{name} must be whole epoch seconds"
    if claims.expires_at < claims.issued_at:
        return "expires_at is before issued_at"
    if claims.colour not in COLOUR_LETTERS:
        return f"colour must be one of {', '.join(COLOUR_LETTERS)}"
    for name, text, limit in (
        ("masked_name", claims.masked_name, MAX_MASKED_NAME_CHARS),
        ("masked_document", claims.masked_document, MAX_MASKED_DOCUMENT_CHARS),
    ):
        # isprintable() refuses control, format (bidi overrides) and unassigned characters.
        if not isinstance(text, str) or not 0 < len(text) <= limit or not text.isprintable():
            return f"{name} must be 1-{limit} printable characters"
    if not isinstance(claims.kind, TokenKind):
        return "kind must be a TokenKind"
    if not isinstance(claims.token_id, bytes) or len(claims.token_id) != TOKEN_ID_BYTES:
        return f"token_id must be {TOKEN_ID_BYTES} bytes"
    reference = claims.card_reference
    if reference is not None and (not isinstance(reference, bytes) or len(reference) != CARD_REFERENCE_BYTES):
        return f"card_reference must be {CARD_REFERENCE_BYTES} bytes"
    return None


def encode_claims(claims: CodeClaims) -> bytes:
    """The CWT payload for ``claims`` (checked by the caller with :func:`claims_problem`)."""
    code: dict[int, object] = {
        CODE_COLOUR: COLOUR_LETTERS[claims.colour],
        CODE_MASKED_NAME: claims.masked_name,
        CODE_MASKED_DOCUMENT: claims.masked_document,
        CODE_KIND: int(claims.kind),
        CODE_TOKEN_ID: claims.token_id,
    }
    if claims.card_reference is not None:
        code[CODE_CARD_REFERENCE] = claims.card_reference
    cwt = {
        CLAIM_ISSUER: claims.issuer,
        CLAIM_EXPIRES_AT: claims.expires_at,
        CLAIM_ISSUED_AT: claims.issued_at,
        CLAIM_HEALTH_CODE: code,
    }
    # Keys are inserted in CBOR's deterministic order (RFC 8949 §4.2.1: 1, 4, 6, -260), so the
    # plain encoder gives the canonical bytes without paying for canonical=True's sorting.
    return cbor2.dumps(cwt)


def decode_claims(payload: bytes) -> CodeClaims:
    """Parse a CWT payload strictly; raises :class:`MalformedToken`. Unknown integer keys are skipped."""
    cwt = _int_keyed_map(decode_cbor(payload))
    code = _int_keyed_map(cwt.get(CLAIM_HEALTH_CODE))
    kind = _field(code, CODE_KIND, int)
    letter = _field(code, CODE_COLOUR, str)
    if kind not in TokenKind._value2member_map_:
        raise MalformedToken("unknown token kind")
    if letter not in _COLOUR_WORDS:
        raise MalformedToken("unknown colour")
    claims = CodeClaims(
        issuer=_field(cwt, CLAIM_ISSUER, str),
        issued_at=_field(cwt, CLAIM_ISSUED_AT, int),
        expires_at=_field(cwt, CLAIM_EXPIRES_AT, int),
        colour=_COLOUR_WORDS[letter],
        masked_name=_field(code, CODE_MASKED_NAME, str),
        masked_document=_field(code, CODE_MASKED_DOCUMENT, str),
        kind=TokenKind(kind),
        token_id=_field(code, CODE_TOKEN_ID, bytes),
        card_reference=_field(code, CODE_CARD_REFERENCE, bytes) if CODE_CARD_REFERENCE in code else None,
    )
    problem = claims_problem(claims)
    if problem is not None:
        raise MalformedToken(problem)
    return claims


def encode_protected(kid: bytes) -> bytes:
    """The protected header: ES256 and the signing key's id."""
    return cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes COSE_Sign1 signs: ``["Signature1", protected, external_aad = b"", payload]``."""
    return cbor2.dumps([_SIG_CONTEXT, protected, b"", payload])


def encode_token(protected: bytes, payload: bytes, signature: bytes) -> str:
    """Assemble the token string from its signed parts."""
    sign1 = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])
    return PREFIX + b45encode(cbor2.dumps(sign1))


def open_envelope(token: str) -> Envelope:
    """Check size, prefix, Base45 and the COSE_Sign1 shape; read the kid. Raises :class:`MalformedToken`.

    Only the envelope and the small protected header are decoded here: the payload stays bytes
    until a signature over it has been checked.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise MalformedToken(f"not a string of at most {MAX_TOKEN_CHARS} characters")
    if not token.startswith(PREFIX):
        raise MalformedToken(f"does not start with {PREFIX}")
    raw = b45decode(token[len(PREFIX) :])
    if len(raw) > MAX_CBOR_BYTES:
        raise MalformedToken(f"more than {MAX_CBOR_BYTES} bytes")
    sign1 = decode_cbor(raw, cose_tag=True)
    if not isinstance(sign1, cbor2.CBORTag) or sign1.tag != COSE_SIGN1_TAG:
        raise MalformedToken("not a COSE_Sign1 (CBOR tag 18)")
    parts = sign1.value  # cbor2 6 gives a tagged array as a tuple; a list is fine too
    if not isinstance(parts, tuple | list) or len(parts) != 4:
        raise MalformedToken("COSE_Sign1 is not an array of four")
    protected, unprotected, payload, signature = parts
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise MalformedToken("COSE_Sign1 parts have the wrong types")
    if _int_keyed_map(unprotected):
        raise MalformedToken("the unprotected header must be an empty map")
    if len(signature) != SIGNATURE_BYTES:
        raise MalformedToken(f"the signature is not {SIGNATURE_BYTES} bytes")
    header = _int_keyed_map(decode_cbor(protected))
    kid = header.get(HEADER_KID)
    alg = header.get(HEADER_ALG)
    if not _is_int(alg) or alg != ALG_ES256:
        raise MalformedToken("the algorithm is not ES256")
    if HEADER_CRIT in header:
        raise MalformedToken("critical header parameters are not understood")
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise MalformedToken(f"the kid is not {KID_BYTES} bytes")
    return Envelope(kid=kid, protected=protected, payload=payload, signature=signature)


# --- CBOR, decoded defensively --------------------------------------------------------------

# Tags cbor2 decodes by itself (dates, bignums, decimals, shared values, string references,
# sets, regexes, IP addresses, self-description ...), found by probing cbor2 6.3 (a test keeps
# the list current). Each is overridden to fail, and every other tag reaches the tag hook, which
# lets tag 18 through on the envelope only.
BUILTIN_CBOR_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004, 43000, 55799)
_MAX_DEPTH = 4  # tag -> array -> map -> value is as deep as a token goes


def _refuse(value: object, immutable: bool) -> object:
    raise MalformedToken("CBOR tags are not allowed here")


_REFUSE_BUILTIN = dict.fromkeys(BUILTIN_CBOR_TAGS, _refuse)


def _allow_cose_tag(tag: cbor2.CBORTag, immutable: bool) -> object:
    if tag.tag != COSE_SIGN1_TAG:
        raise MalformedToken("CBOR tags other than 18 are not allowed")
    return tag


def decode_cbor(data: bytes, *, cose_tag: bool = False) -> Any:
    """Decode exactly one CBOR item: definite lengths, no duplicate keys, shallow, no tags but 18.

    Callers bound ``data`` first (:data:`MAX_CBOR_BYTES`). Raises :class:`MalformedToken`.
    """
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream,
            tag_hook=_allow_cose_tag if cose_tag else _refuse,
            semantic_decoders=_REFUSE_BUILTIN,
            max_depth=_MAX_DEPTH,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
        item = decoder.decode()
    except Exception as error:  # whatever the decoder trips over in hostile bytes, it is malformed
        raise MalformedToken("not well-formed CBOR") from error
    if stream.tell() != len(data):
        raise MalformedToken("bytes left over after the CBOR item")
    return item


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_keyed_map(value: object) -> dict[int, object]:
    if not isinstance(value, dict | cbor2.frozendict):
        raise MalformedToken("expected a CBOR map")
    items: dict[int, object] = dict(value)
    if not _ONLY_INT.issuperset(map(type, items)):  # the decoder makes plain ints: a bool is not one
        raise MalformedToken("map keys must be integers")
    return items


_ONLY_INT = frozenset((int,))


def _field(items: dict[int, object], key: int, kind: type[_T]) -> _T:
    value = items.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedToken(f"claim {key} is missing or not of type {kind.__name__}")
    return value


# --- Base45 (RFC 9285) ----------------------------------------------------------------------
# Our own codec rather than the base45 package's: about three times faster encoding and six
# times decoding, which was half the cost of a token on the hot paths (showing and verifying a
# code). The tests check it against that package.

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_PAIRS = [_B45[n % 45] + _B45[n // 45] for n in range(45 * 45)]  # n < 2025, least significant first
_B45_BYTE_VALUE = bytes(_B45.find(chr(code)) % 256 for code in range(256))  # -1 (not Base45) becomes 255


def b45encode(data: bytes) -> str:
    """Base45: each two bytes become three characters, a last odd byte two."""
    even = len(data) & ~1
    words = struct.unpack(f">{even // 2}H", data[:even])
    text = "".join([_B45_PAIRS[word % 2025] + _B45[word // 2025] for word in words])
    if len(data) & 1:
        text += _B45_PAIRS[data[-1]]
    return text


def _b45_words(values: bytes) -> bytearray:
    """Each triple of Base45 values (least significant first) as its two bytes, all at once: the
    triples' values are placed in 32-bit lanes of three big integers, so that one sum of them
    makes every lane's word with no carry (44 + 45 * 44 + 2025 * 44 < 2 ** 17). Twice as fast as
    a word at a time."""
    count = len(values) // 3
    lanes = bytearray(4 * count)
    sum_of_lanes = 0
    for weight, start in ((1, 0), (45, 1), (2025, 2)):
        lanes[3::4] = values[start::3]
        sum_of_lanes += weight * int.from_bytes(lanes, "big")
    words = sum_of_lanes.to_bytes(4 * count, "big")
    if words[1::4].count(0) != count:  # a triple over 0xFFFF
        raise MalformedToken("not Base45")
    data = bytearray(2 * count)
    data[0::2], data[1::2] = words[2::4], words[3::4]
    return data


def b45decode(text: str) -> bytes:
    """Strict Base45: only the 45 characters, no whitespace, no values out of range."""
    rest = len(text) % 3
    if rest == 1:
        raise MalformedToken("Base45 length is wrong")
    try:
        values = text.encode("ascii").translate(_B45_BYTE_VALUE)  # each character's value, or 255
    except UnicodeEncodeError:
        raise MalformedToken("not Base45") from None
    if 255 in values:
        raise MalformedToken("not Base45")
    full = len(text) - rest
    data = _b45_words(values[:full])
    if rest:
        last = values[full] + 45 * values[full + 1]
        if last > 0xFF:
            raise MalformedToken("Base45 value out of range")
        data.append(last)
    return bytes(data)
