"""Verifying code tokens: a token string, the trusted keys and the time in; a typed answer out.

The order is the security argument, cheapest and least trusting first:

1. size limits, prefix, Base45, the COSE_Sign1 envelope and its protected header (:mod:`.format`);
   anything wrong is ``malformed``;
2. the kid: no trusted key has it -> ``unknown_issuer``;
3. the signature, tried with every key under that kid (kids can collide), *before* the payload is
   decoded: no key verifies -> ``bad_signature``;
4. the claims, parsed strictly (types, lengths, known colour and kind) -> ``malformed``;
5. the issuer: only keys published for the issuer the claims name count, and only if the token's
   issue time falls inside the key's window -> otherwise ``unknown_issuer``;
6. ``expired`` (exp < now - leeway), ``not_yet_valid`` (iat > now + leeway), ``revoked``, ``ok``.

Step 5 answers ``unknown_issuer``, not ``bad_signature``: the signature is sound, but the key is not
trusted for this issuer or at this time. That points an operator at the trust list (a mis-filed key,
a region signing for another, a key used after its retirement) rather than at a damaged code.

Claims come back whenever the signature verified *and* step 5 passed, so an expired or revoked
code still shows whose it was; a token whose key is not trusted for it shows nothing.

Nothing a caller passes as ``token`` raises: every failure is a :class:`Reason`.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from healthcode.domain.tokens.format import (
    CodeClaims,
    Envelope,
    MalformedToken,
    decode_claims,
    open_envelope,
    sig_structure,
)
from healthcode.domain.tokens.keys import VerifyingKey, verify_raw


class Reason(StrEnum):
    """Why a token is or is not acceptable; the values are the API's ``reason`` words."""

    OK = "ok"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_ISSUER = "unknown_issuer"
    REVOKED = "revoked"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Verification:
    """The answer for one token: a reason, and the claims when a trusted key vouched for them."""

    reason: Reason
    claims: CodeClaims | None

    @property
    def valid(self) -> bool:
        """True only for :attr:`Reason.OK`."""
        return self.reason is Reason.OK


_MALFORMED = Verification(Reason.MALFORMED, None)
_UNKNOWN_ISSUER = Verification(Reason.UNKNOWN_ISSUER, None)
_BAD_SIGNATURE = Verification(Reason.BAD_SIGNATURE, None)


def verify_token(
    token: str,
    keys: Mapping[bytes, Sequence[VerifyingKey]],
    now: int,
    *,
    revoked: Container[bytes] = frozenset(),
    leeway: int = 30,
) -> Verification:
    """Check ``token`` against the trusted ``keys`` (by kid, see :func:`index_keys`) at ``now``.

    ``now`` is epoch seconds; ``leeway`` forgives that much clock difference between issuer and
    verifier on both ends; ``revoked`` holds revoked token ids. Callers strip surrounding
    whitespace first (a keyboard-wedge scanner ends with Enter).
    """
    try:
        envelope = open_envelope(token)
    except MalformedToken:
        return _MALFORMED
    candidates = keys.get(envelope.kid, ())
    if not candidates:
        return _UNKNOWN_ISSUER
    signers = [key for key in candidates if _signed_by(envelope, key)]
    if not signers:
        return _BAD_SIGNATURE
    try:
        claims = decode_claims(envelope.payload)
    except MalformedToken:
        return _MALFORMED
    if not any(key.issuer == claims.issuer and key.covers(claims.issued_at) for key in signers):
        return _UNKNOWN_ISSUER
    if claims.expires_at < now - leeway:
        return Verification(Reason.EXPIRED, claims)
    if claims.issued_at > now + leeway:
        return Verification(Reason.NOT_YET_VALID, claims)
    if claims.token_id in revoked:
        return Verification(Reason.REVOKED, claims)
    return Verification(Reason.OK, claims)


def _signed_by(envelope: Envelope, key: VerifyingKey) -> bool:
    return verify_raw(key, sig_structure(envelope.protected, envelope.payload), envelope.signature)
