"""Costs of the code token: signing one (showing a code), verifying one (a scan), drawing its QR.

DESIGN.md budgets one signature per code shown and keeps QR drawing off that path; the QR
benchmark shows why (it costs many signatures). Token length and QR version are printed.
"""

from __future__ import annotations

from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.tokens import (
    CodeClaims,
    TokenKind,
    generate_signing_key,
    index_keys,
    issue_token,
    new_token_id,
    verify_token,
    verifying_key_for,
)

NOW = 1_700_000_000
KEY = generate_signing_key()
KEYS = index_keys([verifying_key_for(KEY, "CN-150100")])
LIVE = CodeClaims(
    issuer="CN-150100",
    issued_at=NOW,
    expires_at=NOW + 180,
    colour="green",
    masked_name="张*丰",
    masked_document="1501**********1234",
    kind=TokenKind.LIVE,
    token_id=new_token_id(),
)
TOKEN = issue_token(LIVE, KEY)


def test_es256_signature_alone(benchmark: Any) -> None:
    """The floor under issuing: the bare signature, without CBOR and Base45."""
    benchmark(KEY.private_key.sign, b"x" * 150, ec.ECDSA(hashes.SHA256()))


SIGNED = b"x" * 150
SIGNATURE = KEY.private_key.sign(SIGNED, ec.ECDSA(hashes.SHA256()))


def test_es256_verify_alone(benchmark: Any) -> None:
    """The floor under verifying: the bare signature check (issue 9 asks verify_token for 80 % of it)."""
    benchmark(KEY.private_key.public_key().verify, SIGNATURE, SIGNED, ec.ECDSA(hashes.SHA256()))


def test_issue_a_live_token(benchmark: Any) -> None:
    token = benchmark(issue_token, LIVE, KEY)
    assert verify_token(token, KEYS, NOW).valid


def test_verify_a_live_token(benchmark: Any) -> None:
    assert benchmark(verify_token, TOKEN, KEYS, NOW).valid


def test_refuse_a_malformed_token(benchmark: Any) -> None:
    """Garbage is turned away before any signature work."""
    assert not benchmark(verify_token, "HC1:" + TOKEN[5:], KEYS, NOW).valid


def test_qr_of_a_live_token(benchmark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    qr = benchmark(segno.make, TOKEN, error="m", boost_error=False, micro=False)
    assert qr.version is not None
    assert qr.version <= 10
    benchmark.extra_info.update(token_chars=len(TOKEN), qr_version=qr.version)
    with capsys.disabled():
        print(f"\nlive token: {len(TOKEN)} characters, QR version {qr.version} at level M ({qr.mode} mode)")
