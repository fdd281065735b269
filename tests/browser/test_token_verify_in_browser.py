"""The browser's token verifier (``token-verify.js``, used by offline checkpoints) gives the same
reason as the Python verifier (``domain/tokens/verifying.py``) for every kind of token: valid, each
failure, and payloads crafted to sit on the edges of the claim rules and of the append-only format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cbor2
import pytest

from healthcode.domain.tokens import (
    TokenKind,
    generate_signing_key,
    index_keys,
    issue_token,
    jwk_of,
    verify_token,
    verifying_key_for,
)
from tests.api.test_verifications import high_s, tampered
from tests.browser.conftest import LiveServer
from tests.unit.test_tokens import ISSUER, KEY, NOW, claims, cwt, sign_payload

SCRIPT = Path(__file__).parents[2] / "src" / "healthcode" / "kit" / "static" / "token-verify.js"
WINDOW_KEY = generate_signing_key()  # published only for tokens issued in its window
PUBLISHED = [verifying_key_for(KEY, ISSUER), verifying_key_for(WINDOW_KEY, ISSUER, not_before=NOW, not_after=NOW + 60)]
REVOKED = bytes.fromhex("0badc0de0badc0de")


def token(**changes: Any) -> str:
    return issue_token(claims(**changes), KEY)


def crafted(**overrides: Any) -> str:
    return sign_payload(cbor2.dumps(cwt(**overrides)))


CASES = {
    "valid": token(),
    "valid paper, no card reference": token(kind=TokenKind.PAPER, card_reference=None),
    "expired": token(issued_at=NOW - 600, expires_at=NOW - 300),
    "not yet valid": token(issued_at=NOW + 300, expires_at=NOW + 480),
    "revoked": token(token_id=REVOKED),
    "tampered": tampered(token()),
    "the signature's high-S twin": high_s(token()),
    "unknown key": issue_token(claims(), generate_signing_key()),
    "another issuer's claims": token(issuer="CN-310000"),
    "signed after its key's window": issue_token(claims(issued_at=NOW + 120, expires_at=NOW + 300), WINDOW_KEY),
    "signed inside its key's window": issue_token(claims(issued_at=NOW + 30), WINDOW_KEY),
    "garbage": "hello",
    "empty": "",
    "too long": "HC1:" + "A" * 2000,
    "bad base45": "HC1:!!!",
    "claims added later are skipped": crafted(c7=b"later", c99="later", k99=1),
    "a float in a later claim": crafted(c7=1.5),
    "a text-keyed map in a later claim": crafted(c8={"a": 1}),
    "empty name": crafted(c2=""),
    "bidi override in the name": crafted(c2="张\u202e丰"),
    "expiry in the year 33000": crafted(k4=10**15),
    "negative issue time": crafted(k6=-5, k4=NOW + 10),
    "issuer outside the pattern": crafted(k1="CN 150100"),
    "card reference of 16 bytes": crafted(c6=bytes(16)),
    "card reference as text": crafted(c6="a1a2a3a4"),
    "colour as a word": crafted(c1="green"),
    "kind as a boolean": crafted(c4=False),
    "text key at the top": sign_payload(cbor2.dumps({**cwt(), "iss": ISSUER})),
}


def python_reason(value: str) -> str:
    return verify_token(value, index_keys(PUBLISHED), NOW, revoked={REVOKED}).reason.value


@pytest.fixture
def verifier_page(page: Any, live_server: LiveServer) -> Any:
    page.goto("/healthz")  # a secure context (127.0.0.1), as WebCrypto wants
    page.add_script_tag(path=str(SCRIPT))
    assert page.evaluate("window.HealthCodeToken.available")
    return page


def test_the_browser_and_python_verifiers_agree(verifier_page: Any) -> None:
    data = {
        "trust": {"issuer": ISSUER, "keys": [jwk_of(key) for key in PUBLISHED], "trusted": []},
        "revocations": {"issuer": ISSUER, "revoked": [REVOKED.hex()]},
    }
    browser = verifier_page.evaluate(
        """([cases, data, now]) => Promise.all(Object.entries(cases).map(([name, token]) =>
               HealthCodeToken.verify(token, data, now).then(result => [name, result.reason])))
               .then(Object.fromEntries)""",
        [CASES, data, NOW],
    )
    python = {name: python_reason(value) for name, value in CASES.items()}
    assert browser == python
    # and the cases do cover every reason
    assert set(python.values()) == {
        "ok",
        "expired",
        "not_yet_valid",
        "bad_signature",
        "unknown_issuer",
        "revoked",
        "malformed",
    }


def test_the_browser_shows_the_claims_of_a_valid_code(verifier_page: Any) -> None:
    data = {"trust": {"issuer": ISSUER, "keys": [jwk_of(PUBLISHED[0])]}, "revocations": None}
    result = verifier_page.evaluate(
        "([token, data, now]) => HealthCodeToken.verify(token, data, now)", [token(colour="yellow"), data, NOW]
    )
    expected = claims(colour="yellow")
    assert result["reason"] == "ok"
    assert {key: result["claims"][key] for key in ("issuer", "colour", "name", "document", "tokenId")} == {
        "issuer": expected.issuer,
        "colour": "yellow",
        "name": expected.masked_name,
        "document": expected.masked_document,
        "tokenId": expected.token_id.hex(),
    }
