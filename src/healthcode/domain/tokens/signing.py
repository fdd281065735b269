"""Issuing code tokens: claims in, signed ``HC1:`` string out (one ES256 signature)."""

from __future__ import annotations

import secrets

from healthcode.domain.tokens.format import (
    TOKEN_ID_BYTES,
    CodeClaims,
    claims_problem,
    encode_claims,
    encode_protected,
    encode_token,
    sig_structure,
)
from healthcode.domain.tokens.keys import SigningKey, sign_raw


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
    return encode_token(protected, payload, sign_raw(key, sig_structure(protected, payload)))
