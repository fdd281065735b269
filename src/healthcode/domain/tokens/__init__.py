"""The signed code token that a health-code QR holds (DESIGN.md "The code token").

Pure functions: :func:`issue_token` signs :class:`CodeClaims` into an ``HC1:`` string,
:func:`verify_token` answers a :class:`Verification` with a :class:`Reason`, and the key helpers
compute kids and read and write the trust list's JWKs. The wire format and its append-only rule
are in :mod:`healthcode.domain.tokens.format`.
"""

from __future__ import annotations

from healthcode.domain.tokens.format import (
    COLOUR_LETTERS,
    MAX_CBOR_BYTES,
    MAX_TOKEN_CHARS,
    PREFIX,
    CodeClaims,
    TokenKind,
)
from healthcode.domain.tokens.keys import (
    SigningKey,
    VerifyingKey,
    generate_signing_key,
    index_keys,
    jwk_of,
    jwk_set,
    keys_from_jwk_set,
    kid_of,
    signing_key_of,
    verifying_key_for,
    verifying_key_from_jwk,
)
from healthcode.domain.tokens.signing import issue_token, new_token_id
from healthcode.domain.tokens.verifying import Reason, Verification, verify_token

__all__ = [
    "COLOUR_LETTERS",
    "MAX_CBOR_BYTES",
    "MAX_TOKEN_CHARS",
    "PREFIX",
    "CodeClaims",
    "Reason",
    "SigningKey",
    "TokenKind",
    "Verification",
    "VerifyingKey",
    "generate_signing_key",
    "index_keys",
    "issue_token",
    "jwk_of",
    "jwk_set",
    "keys_from_jwk_set",
    "kid_of",
    "new_token_id",
    "signing_key_of",
    "verify_token",
    "verifying_key_for",
    "verifying_key_from_jwk",
]
