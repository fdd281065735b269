"""Issuing code tokens: claims in, signed ``HC1:`` string out (one ES256 signature)."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from healthcode.domain.tokens.format import (
    TOKEN_ID_BYTES,
    CodeClaims,
    claims_problem,
    encode_claims,
    encode_protected,
    encode_token,
    sig_structure,
)
from healthcode.domain.tokens.keys import SigningKey

_COORDINATE_BYTES = 32


def new_token_id() -> bytes:
    """8 random bytes naming one token (what revocation lists hold)."""
    return secrets.token_bytes(TOKEN_ID_BYTES)


def issue_token(claims: CodeClaims, key: SigningKey) -> str:
    """Sign ``claims`` with ``key`` into an ``HC1:`` token.

    Claims our own verifier would refuse raise ValueError here instead, so the platform never hands
    out a code that fails at the gate. The claims' issuer must be the one the key is published for.
    """
    problem = claims_problem(claims)
    if problem is not None:
        raise ValueError(f"cannot issue a token: {problem}")
    protected = encode_protected(key.kid)
    payload = encode_claims(claims)
    der = key.private_key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    # COSE wants the raw r || s, each left-padded to the curve size, not DER.
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return encode_token(protected, payload, signature)
