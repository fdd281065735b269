"""``POST /api/v1/verifications`` (API.md "Verification API", SPEC §8): every reason, the rate
limit, other issuers, and no database work per request."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService
from healthcode.codes.revocations import RevocationService
from healthcode.codes.verification import UNKNOWN_KEY_RETRY_S
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import SigningKey, TokenKind, generate_signing_key, new_token_id
from healthcode.domain.tokens.format import b45decode, b45encode, encode_token, open_envelope
from healthcode.domain.tokens.keys import P256_ORDER
from tests.integration.test_keys import OTHER_ISSUER, counting_queries, foreign_list, token_for

Client = AsyncTestClient[Litestar]
URL = "/api/v1/verifications"
FIELDS = {"valid", "reason", "colour", "masked_name", "masked_document", "issuer", "expires_at"}
OTHER_KEY = generate_signing_key()
OTHER_LIST = foreign_list(OTHER_KEY)


async def signing_key(db: AsyncSession, settings: Settings, clock: FixedClock) -> SigningKey:
    keys = KeyService(db, settings, clock)
    if not await keys.all():
        await keys.generate("tests")
    return await keys.signing_key()


async def check(client: Client, token: str, **headers: str) -> dict[str, Any]:
    response = await client.post(URL, json={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == FIELDS
    return answer


def tampered(token: str) -> str:
    """The same envelope and signature around a payload with one byte changed."""
    envelope = open_envelope(token)
    payload = bytearray(envelope.payload)
    payload[-1] ^= 0x01
    return encode_token(envelope.protected, bytes(payload), envelope.signature)


def high_s(token: str) -> str:
    """The same token with its signature's twin ``(r, n - s)``, which plain ECDSA also accepts."""
    envelope = open_envelope(token)
    r, s = envelope.signature[:32], int.from_bytes(envelope.signature[32:], "big")
    return encode_token(envelope.protected, envelope.payload, r + (P256_ORDER - s).to_bytes(32, "big"))


async def test_a_live_code_is_valid_with_its_fields(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    answer = await check(client, token + "\r\n")  # a keyboard-wedge scanner ends with Enter
    assert answer == {
        "valid": True,
        "reason": "ok",
        "colour": "green",
        "masked_name": "张*三",
        "masked_document": "1501**********123X",
        "issuer": "CN-150100",
        "expires_at": "2026-03-01T02:03:00Z",
    }
    assert (await check(client, f"  {token}\n"))["valid"] is True


async def test_each_reason(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    key = await signing_key(db, settings, clock)
    revoked_id = new_token_id()
    await RevocationService(db, settings, clock).revoke(revoked_id, TokenKind.PAPER, "reprinted", "staff:1")
    answers = {
        "tampered": await check(client, tampered(token_for(key, clock))),
        "high S": await check(client, high_s(token_for(key, clock))),
        "unknown key": await check(client, token_for(generate_signing_key(), clock)),
        "not yet valid": await check(client, token_for(key, clock, issued_offset=120)),
        "revoked": await check(client, token_for(key, clock, kind=TokenKind.PAPER, token_id=revoked_id)),
        "garbage": await check(client, "HC1:not a token"),
        "empty": await check(client, ""),
        "huge": await check(client, "HC1:" + "A" * 2000),
        "random base45": await check(client, "HC1:" + b45encode(b"\xd2\x84" + bytes(60))),
    }
    reasons = {name: (a["valid"], a["reason"]) for name, a in answers.items()}
    assert reasons == {
        "tampered": (False, "bad_signature"),
        "high S": (False, "bad_signature"),
        "unknown key": (False, "unknown_issuer"),
        "not yet valid": (False, "not_yet_valid"),
        "revoked": (False, "revoked"),
        "garbage": (False, "malformed"),
        "empty": (False, "malformed"),
        "huge": (False, "malformed"),
        "random base45": (False, "malformed"),
    }
    # a trusted key vouched for these: who and what they show; the others show nothing
    assert answers["revoked"]["masked_name"] == "张*三"
    assert answers["not yet valid"]["colour"] == "green"
    for name in ("tampered", "unknown key", "garbage"):
        assert {k: v for k, v in answers[name].items() if k not in ("valid", "reason")} == dict.fromkeys(
            FIELDS - {"valid", "reason"}
        )
    assert b45decode(tampered(token_for(key, clock))[4:]), "the tampered token is still well-formed"


async def test_an_expired_code(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    clock.advance(seconds=180 + 30)  # its lifetime and the clock leeway
    assert (await check(client, token))["reason"] == "ok"
    clock.advance(seconds=1)
    answer = await check(client, token)
    assert (answer["valid"], answer["reason"], answer["colour"]) == (False, "expired", "green")


async def test_a_retired_key_still_verifies_its_codes(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    old = await signing_key(db, settings, clock)
    token = token_for(old, clock, kind=TokenKind.PAPER, lifetime=14 * 86400)
    clock.advance(minutes=5)
    await KeyService(db, settings, clock).rotate("tests")
    new = await KeyService(db, settings, clock).signing_key()
    assert new.kid != old.kid
    assert (await check(client, token))["reason"] == "ok"
    assert (await check(client, token_for(new, clock)))["reason"] == "ok"
    assert (await check(client, token_for(old, clock)))["reason"] == "ok", "within the cache grace"
    clock.advance(seconds=121)
    assert (await check(client, token_for(old, clock)))["reason"] == "unknown_issuer", "signed after retirement"
    assert (await check(client, token))["reason"] == "ok"


@pytest.mark.settings(trusted_lists=[OTHER_LIST])
async def test_a_code_of_a_trusted_issuer(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    await signing_key(db, settings, clock)
    answer = await check(client, token_for(OTHER_KEY, clock, issuer=OTHER_ISSUER))
    assert (answer["valid"], answer["reason"], answer["issuer"]) == (True, "ok", OTHER_ISSUER)
    # its key is trusted for its own issuer only
    assert (await check(client, token_for(OTHER_KEY, clock)))["reason"] == "unknown_issuer"


@pytest.mark.settings(verify_rate_per_minute=3)
async def test_rate_limit_per_client(client: Client, db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    token = token_for(await signing_key(db, settings, clock), clock)
    for _ in range(3):
        assert (await check(client, token))["valid"] is True
    limited = await client.post(URL, json={"token": token}, headers={"Accept-Language": "en"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "20"
    assert limited.json() == {
        "error": {
            "code": "verify_rate_limited",
            "message": "Too many requests. Wait a moment and try again.",
            "field": None,
            "retry_after": 20,
        }
    }
    zh = await client.post(URL, json={"token": token})
    assert zh.json()["error"]["message"] == "请求过于频繁，请稍候再试。"
    clock.advance(seconds=20)
    assert (await check(client, token))["valid"] is True


@pytest.mark.settings(verify_rate_per_minute=1, trusted_proxies=["10.0.0.0/8"])
async def test_a_forged_forwarded_for_does_not_make_a_new_client(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    """The test client is no proxy of ours: what it writes in X-Forwarded-For is not believed."""
    token = token_for(await signing_key(db, settings, clock), clock)
    await check(client, token, **{"X-Forwarded-For": "192.0.2.1"})
    again = await client.post(URL, json={"token": token}, headers={"X-Forwarded-For": "192.0.2.2"})
    assert again.status_code == 429


async def test_bad_requests_keep_the_error_shape(client: Client) -> None:
    wrong = await client.post(URL, json={"token": 5})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["field"] == "token"
    huge = await client.post(
        URL, content=b'{"token": "' + b"A" * 10_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "too_large"


async def test_no_keys_yet_is_still_an_answer(client: Client, clock: FixedClock) -> None:
    answer = await check(client, token_for(generate_signing_key(), clock))
    assert answer["reason"] == "unknown_issuer"


async def test_verifying_reads_the_database_only_to_refresh(
    app: Litestar, client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    key = await signing_key(db, settings, clock)
    token = token_for(key, clock)
    engine = app.state["hc"].engine
    with counting_queries(engine) as first:
        assert (await check(client, token))["valid"] is True
    assert first, "the first verification loads the keys"
    with counting_queries(engine) as later:
        for _ in range(20):
            assert (await check(client, token))["valid"] is True
        assert (await check(client, "HC1:garbage"))["reason"] == "malformed"
    assert later == []

    # a revocation reaches the verifier at its next refresh, not before
    revoked_id = new_token_id()
    paper = token_for(key, clock, kind=TokenKind.PAPER, lifetime=86400, token_id=revoked_id)
    assert (await check(client, paper))["reason"] == "ok"
    await RevocationService(db, settings, clock).revoke(revoked_id, TokenKind.PAPER, "withdrawn", "staff:1")
    assert (await check(client, paper))["reason"] == "ok"
    clock.advance(seconds=settings.verify_refresh_s)
    with counting_queries(engine) as refresh:
        assert (await check(client, paper))["reason"] == "revoked"
    assert refresh, "one refresh"
    with counting_queries(engine) as after:
        assert (await check(client, paper))["reason"] == "revoked"
    assert after == []


async def test_a_key_rotated_in_this_process_verifies_at_once(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert (await check(client, token_for(await signing_key(db, settings, clock), clock)))["valid"] is True
    app_keys = client.app.state["hc"].runtimes["codes"].keys  # as the administrators' page does
    await KeyService(db, settings, clock, app_keys).rotate("admin")
    new_token = token_for(await KeyService(db, settings, clock).signing_key(), clock)
    assert (await check(client, new_token))["reason"] == "ok"


async def test_a_key_rotated_elsewhere_verifies_without_waiting_for_the_refresh(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert (await check(client, token_for(await signing_key(db, settings, clock), clock)))["valid"] is True
    await KeyService(db, settings, clock).rotate("cli")  # as `healthcode keys rotate` would, in another process
    new_token = token_for(await KeyService(db, settings, clock).signing_key(), clock)
    assert (await check(client, new_token))["reason"] == "unknown_issuer", "just refreshed: no second read yet"
    clock.advance(seconds=UNKNOWN_KEY_RETRY_S)
    assert (await check(client, new_token))["reason"] == "ok"
