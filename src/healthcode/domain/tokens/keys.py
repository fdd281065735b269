"""Signing and verifying keys for code tokens, their ids, and the trust list's JWK form.

A key id (kid) is the first 8 bytes of SHA-256 of the public key's DER SubjectPublicKeyInfo. Ids
are short, so two keys may share one: verifiers keep *every* key under its kid
(:func:`index_keys`) and try each.

A verifying key belongs to one issuer and has a validity window (``not_before`` .. ``not_after``,
epoch seconds, both inclusive, None for open). The window limits which tokens the key vouches for,
by their issue time: a key retired on rotation stays in the trust list and still verifies the
tokens it signed while it was current (a 14-day paper certificate outlives a key by up to 14 days),
but nothing dated after its retirement.

The trust list publishes keys as JWKs (RFC 7517/7518) with three extra members, ``iss``, ``nbf``
and ``exp``; :func:`jwk_set` and :func:`keys_from_jwk_set` read and write the ``{"keys": [...]}``
document. Signing that document is the codes feature's job.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcode.domain.tokens.format import ISSUER_PATTERN, KID_BYTES

_COORDINATE_BYTES = 32
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def kid_of(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The key id: first 8 bytes of SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return sha256(der).digest()[:KID_BYTES]


def _check_p256(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> None:
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"ES256 needs a P-256 key, not {key.curve.name}")


@dataclass(frozen=True)
class SigningKey:
    """An issuer's private key with its kid; the kid must be the key's own (:func:`kid_of`)."""

    kid: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        _check_p256(self.private_key)
        if self.kid != kid_of(self.private_key.public_key()):
            raise ValueError("the kid does not belong to this private key; use signing_key_of()")


def signing_key_of(private_key: ec.EllipticCurvePrivateKey) -> SigningKey:
    """Wrap a P-256 private key (loaded from key storage) with its kid."""
    return SigningKey(kid=kid_of(private_key.public_key()), private_key=private_key)


def generate_signing_key() -> SigningKey:
    """A new random P-256 key."""
    return signing_key_of(ec.generate_private_key(ec.SECP256R1()))


@dataclass(frozen=True)
class VerifyingKey:
    """A public key trusted for one issuer's tokens issued inside its window (epoch seconds)."""

    kid: bytes
    issuer: str
    public_key: ec.EllipticCurvePublicKey
    not_before: int | None
    not_after: int | None

    def __post_init__(self) -> None:
        if len(self.kid) != KID_BYTES:
            raise ValueError(f"a kid is {KID_BYTES} bytes, not {len(self.kid)}")
        if not ISSUER_PATTERN.fullmatch(self.issuer):
            raise ValueError(f"issuer {self.issuer!r} must be 1-32 characters of A-Z a-z 0-9 . _ : -")
        _check_p256(self.public_key)
        if self.not_before is not None and self.not_after is not None and self.not_after < self.not_before:
            raise ValueError("the key's window ends before it starts (not_after < not_before)")

    def covers(self, issued_at: int) -> bool:
        """Whether a token issued at ``issued_at`` falls inside this key's window (ends included)."""
        if self.not_before is not None and issued_at < self.not_before:
            return False
        return self.not_after is None or issued_at <= self.not_after


def verifying_key_for(
    key: SigningKey, issuer: str, *, not_before: int | None = None, not_after: int | None = None
) -> VerifyingKey:
    """The public half of ``key``, as the trust list publishes it for ``issuer``."""
    return VerifyingKey(key.kid, issuer, key.private_key.public_key(), not_before, not_after)


def index_keys(keys: Iterable[VerifyingKey]) -> dict[bytes, tuple[VerifyingKey, ...]]:
    """Keys by kid, every key kept (kids may collide): the mapping :func:`verify_token` takes."""
    index: dict[bytes, tuple[VerifyingKey, ...]] = {}
    for key in keys:
        index[key.kid] = (*index.get(key.kid, ()), key)
    return index


# --- JWK --------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2), as JWKs and the lists' signatures write bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(value: object, size: int, what: str) -> bytes:
    """Exactly ``size`` bytes from unpadded base64url; ValueError naming ``what`` otherwise.
    Strict: base64's own decoder would skip stray characters and accept other encodings."""
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise ValueError(f"{what} must be unpadded base64url")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(data) != size or b64url(data) != value:
        raise ValueError(f"{what} must encode exactly {size} bytes")
    return data


# --- raw ES256 (r || s), as COSE and JWS write signatures ----------------------------------------

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_ECDSA_SHA256_RFC6979 = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = P256_ORDER >> 1
"""Signatures are issued and accepted in low-S form only (s <= n/2): otherwise ``(r, n - s)`` of
any token is a second valid signature, and a token would have two encodings."""


def sign_raw(key: SigningKey, message: bytes, *, deterministic: bool = False) -> bytes:
    """ES256 over ``message`` as the raw 64-byte ``r || s`` (not DER), low-S; ``deterministic``
    signs per RFC 6979, so the same message gives the same bytes."""
    der = key.private_key.sign(message, _ECDSA_SHA256_RFC6979 if deterministic else _ECDSA_SHA256)
    r, s = decode_dss_signature(der)
    if s > HALF_ORDER:
        s = P256_ORDER - s
    return r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")


def verify_raw(key: VerifyingKey, message: bytes, signature: bytes) -> bool:
    """Whether the raw ``r || s`` ``signature`` is ``key``'s ES256 signature of ``message``, in
    low-S form (:data:`HALF_ORDER`)."""
    r = int.from_bytes(signature[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[_COORDINATE_BYTES:], "big")
    if s > HALF_ORDER:
        return False
    try:
        key.public_key.verify(encode_dss_signature(r, s), message, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def _epoch(jwk: Mapping[str, object], member: str) -> int | None:
    value = jwk.get(member)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"JWK member {member!r} must be epoch seconds or null")
    return value


def jwk_of(key: VerifyingKey) -> dict[str, str | int | None]:
    """The key as a JWK: ``kty``, ``crv``, ``x``, ``y``, ``kid`` (base64url), ``iss``, ``nbf``, ``exp``."""
    numbers = key.public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
        "kid": b64url(key.kid),
        "iss": key.issuer,
        "nbf": key.not_before,
        "exp": key.not_after,
    }


def verifying_key_from_jwk(jwk: Mapping[str, object]) -> VerifyingKey:
    """Read one trust-list JWK strictly; raises ValueError naming the member at fault.

    The point must lie on P-256 and the kid must be the key's own: a list cannot file a key under
    another key's id. Unknown members are ignored (RFC 7517 §4); ``alg`` and ``use``, when present,
    must be ``ES256`` and ``sig``.
    """
    if not isinstance(jwk, Mapping):
        raise ValueError("a JWK must be a JSON object")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError('a trust-list key must have "kty": "EC" and "crv": "P-256"')
    if jwk.get("alg", "ES256") != "ES256" or jwk.get("use", "sig") != "sig":
        raise ValueError('a trust-list key is for "ES256" signatures ("alg", "use")')
    x = int.from_bytes(unb64url(jwk.get("x"), _COORDINATE_BYTES, "JWK member 'x'"), "big")
    y = int.from_bytes(unb64url(jwk.get("y"), _COORDINATE_BYTES, "JWK member 'y'"), "big")
    try:
        public_key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        raise ValueError("JWK x and y are not a point on P-256") from None
    kid = unb64url(jwk.get("kid"), KID_BYTES, "JWK member 'kid'")
    if kid != kid_of(public_key):
        raise ValueError("JWK kid is not the key's id (first 8 bytes of SHA-256 of the public key)")
    issuer = jwk.get("iss")
    if not isinstance(issuer, str):
        raise ValueError("JWK member 'iss' must name the issuer")
    return VerifyingKey(kid, issuer, public_key, _epoch(jwk, "nbf"), _epoch(jwk, "exp"))


def jwk_set(keys: Iterable[VerifyingKey]) -> dict[str, list[dict[str, str | int | None]]]:
    """The trust list's keys as a JWK Set: ``{"keys": [...]}``."""
    return {"keys": [jwk_of(key) for key in keys]}


def keys_from_jwk_set(document: Mapping[str, object]) -> tuple[VerifyingKey, ...]:
    """Every key of a JWK Set; one bad key rejects the whole list (ValueError says which)."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError('a trust list must be a JSON object with a "keys" array')
    keys = []
    for position, entry in enumerate(entries, start=1):
        try:
            keys.append(verifying_key_from_jwk(entry))
        except ValueError as error:
            raise ValueError(f"key {position} of the trust list: {error}") from None
    return tuple(keys)
