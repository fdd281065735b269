"""``GET /.well-known/healthcode/revocations.json``: the signed list of revoked token ids that
offline checkpoints and other regions read (SPEC §8, §9)."""

import json
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService
from healthcode.codes.revocations import REVOCATION_LIST_PATH, RevocationService
from healthcode.codes.trust import TRUST_LIST_PATH, canonical_json
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import TokenKind, keys_from_jwk_set, new_token_id
from healthcode.domain.tokens.keys import unb64url

Client = AsyncTestClient[Litestar]


def signed_by_the_trust_list(document: dict[str, object], trust_list: dict[str, object]) -> bool:
    """What another region does: check the list with a key of the issuer's trust list."""
    signature = document["signature"]
    assert isinstance(signature, dict)
    kid = unb64url(signature["kid"], 8, "kid")
    value = unb64url(signature["value"], 64, "value")
    message = canonical_json({name: item for name, item in document.items() if name != "signature"})
    der = encode_dss_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    for key in keys_from_jwk_set(trust_list):
        if key.kid == kid:
            try:
                key.public_key.verify(der, message, ec.ECDSA(hashes.SHA256()))
            except Exception:
                return False
            return True
    return False


async def test_revoked_ids_are_listed_signed_until_their_tokens_expire(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await KeyService(db, settings, clock).generate("cli")
    revocations = RevocationService(db, settings, clock)
    soon, later, unknown = new_token_id(), new_token_id(), new_token_id()
    now = clock.now()
    await revocations.revoke(soon, TokenKind.PAPER, "lost", "staff:1", expires_at=now + timedelta(days=1))
    await revocations.revoke(later, TokenKind.PAPER, "lost", "staff:1", expires_at=now + timedelta(days=14))
    await revocations.revoke(unknown, TokenKind.LIVE, "misuse", "staff:1")

    response = await client.get(REVOCATION_LIST_PATH)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "set-cookie" not in response.headers
    document = response.json()
    assert set(document) == {"issuer", "revoked", "issued_at", "signature"}
    assert document["issuer"] == settings.issuer
    assert document["revoked"] == sorted(token.hex() for token in (soon, later, unknown))
    assert document["issued_at"] == int(now.timestamp())
    trust_list = (await client.get(TRUST_LIST_PATH)).json()
    assert signed_by_the_trust_list(document, trust_list)
    assert not signed_by_the_trust_list({**document, "revoked": document["revoked"][1:]}, trust_list)

    again = await client.get(REVOCATION_LIST_PATH, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304

    clock.advance(days=2 + 7)  # "soon" expired over a week ago: no upload can be checked against it
    body, _ = await revocations.revocation_list()
    assert json.loads(body)["revoked"] == sorted(token.hex() for token in (later, unknown))
    assert await revocations.revoked_ids() == {later, unknown}
