"""Signing keys of code tokens: life cycle, sealing, the key cache, the signed trust list (codes.keys)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.codes.keys import PUBLISH_AHEAD_S, SIGNING_CACHE_S, KeyService, KeyStateError
from healthcode.codes.memory import KeyMemory
from healthcode.codes.trust import (
    TRUST_LIST_PATH,
    TrustedListFiles,
    TrustListError,
    read_trusted_list,
    sign_document,
    trusted_lists,
    verify_trust_list,
)
from healthcode.codes.verification import load_snapshot, verify_with
from healthcode.config import Settings
from healthcode.db.models import AuditRecord, SigningKeyRecord
from healthcode.domain.clock import FixedClock
from healthcode.domain.crypto import DecryptionFailed
from healthcode.domain.errors import Unavailable
from healthcode.domain.tokens import (
    CodeClaims,
    Reason,
    SigningKey,
    TokenKind,
    generate_signing_key,
    index_keys,
    issue_token,
    jwk_of,
    keys_from_jwk_set,
    new_token_id,
    verifying_key_for,
)
from healthcode.domain.tokens.keys import b64url
from healthcode.privacy.sealed import Sealer

Client = AsyncTestClient[Litestar]
OTHER_ISSUER = "CN-110000"


def token_for(
    key: SigningKey,
    clock: FixedClock,
    *,
    issuer: str = "CN-150100",
    lifetime: int = 180,
    issued_offset: int = 0,
    kind: TokenKind = TokenKind.LIVE,
    token_id: bytes | None = None,
) -> str:
    """A token as the platform issues it: green, masked, issued now (plus ``issued_offset``)."""
    now = int(clock.now().timestamp()) + issued_offset
    claims = CodeClaims(
        issuer=issuer,
        issued_at=now,
        expires_at=now + lifetime,
        colour="green",
        masked_name="张*三",
        masked_document="1501**********123X",
        kind=kind,
        token_id=token_id or new_token_id(),
    )
    return issue_token(claims, key)


def foreign_list(key: SigningKey, issuer: str = OTHER_ISSUER, issued_at: int = 1_772_330_400) -> dict[str, Any]:
    """Another region's trust list, signed by its own key."""
    content = {
        "issuer": issuer,
        "keys": [jwk_of(verifying_key_for(key, issuer, not_before=0))],
        "trusted": [],
        "issued_at": issued_at,
    }
    return sign_document(content, key)


@contextmanager
def counting_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def verify_now(
    db: AsyncSession, settings: Settings, clock: FixedClock, token: str, memory: KeyMemory | None = None
) -> Reason:
    return verify_with(await load_snapshot(db, settings, clock, memory), token, clock.now()).reason


# --- life cycle ----------------------------------------------------------------------------------


async def test_the_first_key_becomes_active_and_a_second_generate_is_refused(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    keys = KeyService(db, settings, clock)
    record = await keys.generate("cli:ops")
    assert (record.status, record.issuer, record.not_before, record.not_after) == (
        "active",
        "CN-150100",
        clock.now(),
        None,
    )
    assert len(record.kid) == 16
    with pytest.raises(KeyStateError, match="rotate"):
        await keys.generate("cli:ops")
    audited = list(await db.scalars(select(AuditRecord).where(AuditRecord.action == "keys.generate")))
    assert [(a.actor, a.subject) for a in audited] == [("cli:ops", f"signing_key:{record.kid}")]
    assert (await keys.signing_key()).kid.hex() == record.kid


async def test_ensure_active_generates_only_when_no_key_is_active(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    keys = KeyService(db, settings, clock)
    first, made = await keys.ensure_active("demo")
    assert made
    assert await keys.ensure_active("demo") == (first, False)
    await keys.retire(first.kid, "cli")
    second, made = await keys.ensure_active("demo")
    assert made
    assert second.kid != first.kid


async def test_rotate_keeps_the_old_key_verifying_what_it_signed(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    keys = KeyService(db, settings, clock)
    first = await keys.generate("cli")
    old_key = await keys.signing_key()
    old_token = token_for(old_key, clock)
    old_paper = token_for(old_key, clock, kind=TokenKind.PAPER, lifetime=14 * 86400)

    clock.advance(minutes=1)
    old, new = await keys.rotate("cli:ops")
    assert old.kid == first.kid
    assert (old.status, old.retired_at, old.not_after) == ("retired", clock.now(), clock.now() + timedelta(seconds=120))
    assert new.status == "active"
    assert (await keys.signing_key()).kid.hex() == new.kid, "this process sees the rotation at once"
    assert {r.kid for r in await keys.published()} == {old.kid, new.kid}

    assert await verify_now(db, settings, clock, old_token) is Reason.OK
    assert await verify_now(db, settings, clock, token_for(await keys.signing_key(), clock)) is Reason.OK
    # a worker that has not noticed the rotation yet may sign with the old key for SIGNING_CACHE_S
    clock.advance(seconds=SIGNING_CACHE_S)
    assert await verify_now(db, settings, clock, token_for(old_key, clock)) is Reason.OK
    clock.advance(seconds=1)
    assert await verify_now(db, settings, clock, token_for(old_key, clock)) is Reason.UNKNOWN_ISSUER

    # the paper certificate it signed stays valid for its 14 days, then the key leaves the list
    clock.advance(days=13)
    assert await verify_now(db, settings, clock, old_paper) is Reason.OK
    clock.advance(days=1, minutes=5)
    assert [r.kid for r in await keys.published()] == [new.kid]
    assert await verify_now(db, settings, clock, old_paper) is Reason.UNKNOWN_ISSUER

    rotated = await db.scalar(select(AuditRecord).where(AuditRecord.action == "keys.rotate"))
    assert rotated is not None
    assert json.loads(rotated.detail)["previous"] == old.kid


async def test_a_prepared_key_is_published_before_it_signs(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    keys = KeyService(db, settings, clock)
    with pytest.raises(KeyStateError, match="generate"):
        await keys.prepare("cli")
    first = await keys.generate("cli")
    prepared = await keys.prepare("cli:ops")
    assert prepared.status == "next"
    with pytest.raises(KeyStateError, match="prepared already"):
        await keys.prepare("cli")
    assert (await keys.signing_key()).kid.hex() == first.kid, "the prepared key signs nothing yet"
    document = json.loads((await keys.trust_list())[0])
    assert b64url(bytes.fromhex(prepared.kid)) in {jwk["kid"] for jwk in document["keys"]}
    assert not keys.published_long_enough(prepared)

    clock.advance(seconds=PUBLISH_AHEAD_S)
    assert keys.published_long_enough(prepared)
    old, new = await keys.rotate("cli:ops")
    assert (old.kid, new.kid, new.status) == (first.kid, prepared.kid, "active")
    assert (await keys.signing_key()).kid.hex() == prepared.kid
    assert await keys.prepared() is None
    assert await verify_now(db, settings, clock, token_for(await keys.signing_key(), clock)) is Reason.OK
    actions = list(await db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    assert actions[-3:] == ["keys.generate", "keys.prepare", "keys.rotate"]


async def test_rotate_needs_an_active_key(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    with pytest.raises(KeyStateError, match="generate"):
        await KeyService(db, settings, clock).rotate("cli")


async def test_retire_stops_signing_and_keeps_verifying(
    db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    keys = KeyService(db, settings, clock)
    record = await keys.generate("cli")
    token = token_for(await keys.signing_key(), clock)
    retired = await keys.retire(b64url(bytes.fromhex(record.kid)), "cli:ops")  # the trust list's form works too
    assert (retired.status, retired.retired_at) == ("retired", clock.now())
    with pytest.raises(Unavailable) as missing:
        await keys.signing_key()
    assert missing.value.code == "signing_key_missing"
    assert await verify_now(db, settings, clock, token) is Reason.OK
    with pytest.raises(KeyStateError, match="already retired"):
        await keys.retire(record.kid, "cli")
    with pytest.raises(KeyStateError, match="no signing key"):
        await keys.retire("00" * 8, "cli")
    fresh = await keys.generate("cli")
    assert [r.status for r in await keys.all()] == ["retired", "active"]
    assert (await keys.signing_key()).kid.hex() == fresh.kid
    actions = list(await db.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    assert actions == ["keys.generate", "keys.retire", "keys.generate"]


async def test_the_private_key_is_sealed(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    keys = KeyService(db, settings, clock)
    record = await keys.generate("cli")
    key = await keys.signing_key()
    private_der = key.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    scalar = key.private_key.private_numbers().private_value.to_bytes(32, "big")

    stored = await db.scalar(select(SigningKeyRecord.private_key_enc).where(SigningKeyRecord.id == record.id))
    assert stored is not None
    assert private_der not in stored
    assert scalar not in stored
    assert Sealer(settings.keyring).open_bytes(record, "private_key_enc") == private_der

    other = SigningKeyRecord(id=record.id + 1, private_key_enc=stored)
    with pytest.raises(DecryptionFailed):
        Sealer(settings.keyring).open_bytes(other, "private_key_enc")  # bound to its own row


async def test_signing_key_is_served_from_memory(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    memory = KeyMemory()  # the app's
    keys = KeyService(db, settings, clock, memory)
    await keys.generate("cli")
    first = await keys.signing_key()
    with counting_queries(engine) as statements:
        assert await keys.signing_key() is first
        clock.advance(seconds=SIGNING_CACHE_S - 1)
        assert await KeyService(db, settings, clock, memory).signing_key() is first, "another request, one memory"
    assert statements == []
    clock.advance(seconds=1)
    with counting_queries(engine) as statements:
        assert (await keys.signing_key()).kid == first.kid
    assert len(statements) == 1, "after the cache time, one read of which key is active"

    memory.forget()  # as a change through this memory does: read again, the same key still active
    with counting_queries(engine) as statements:
        assert (await keys.signing_key()) is first, "decrypted once"
    assert len(statements) == 1
    assert (await KeyService(db, settings, clock).signing_key()).kid == first.kid, "a service of its own reads"


# --- the trust list ----------------------------------------------------------------------------------


async def test_trust_list_contents_and_signature(db: AsyncSession, settings: Settings, clock: FixedClock) -> None:
    keys = KeyService(db, settings, clock)
    await keys.generate("cli")
    clock.advance(minutes=10)
    old, new = await keys.rotate("cli")
    body, etag = await keys.trust_list()
    document = json.loads(body)

    assert set(document) == {"issuer", "keys", "trusted", "issued_at", "signature"}
    assert document["issuer"] == "CN-150100"
    assert document["trusted"] == []
    assert document["issued_at"] == int(clock.now().timestamp()), "the last change: the rotation"
    jwks = {jwk["kid"]: jwk for jwk in document["keys"]}
    assert set(jwks) == {b64url(bytes.fromhex(old.kid)), b64url(bytes.fromhex(new.kid))}
    for jwk in document["keys"]:
        assert {"kty": jwk["kty"], "crv": jwk["crv"], "iss": jwk["iss"]} == {
            "kty": "EC",
            "crv": "P-256",
            "iss": "CN-150100",
        }
        assert len(jwk["x"]) == len(jwk["y"]) == 43
    assert jwks[b64url(bytes.fromhex(old.kid))]["exp"] == int(clock.now().timestamp()) + SIGNING_CACHE_S
    assert jwks[b64url(bytes.fromhex(new.kid))]["exp"] is None
    assert document["signature"]["alg"] == "ES256"
    assert document["signature"]["kid"] == b64url(bytes.fromhex(new.kid))

    own = index_keys(keys_from_jwk_set(document))
    checked = verify_trust_list(document, own)
    assert (checked.issuer, len(checked.keys)) == ("CN-150100", 2)

    assert await keys.trust_list() == (body, etag), "deterministic: every worker serves the same bytes"

    tampered = {**document, "keys": document["keys"][1:]}
    with pytest.raises(TrustListError, match="does not verify"):
        verify_trust_list(tampered, own)
    with pytest.raises(TrustListError, match="not a trusted key"):
        verify_trust_list(document, index_keys([verifying_key_for(generate_signing_key(), "CN-150100")]))

    clock.advance(hours=2)
    later, later_etag = await keys.trust_list()
    assert json.loads(later)["issued_at"] == int(clock.now().timestamp()) // 3600 * 3600, "at least hourly"
    assert later_etag != etag


async def test_trust_list_through_the_api_with_etag(
    client: Client, db: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    assert (await client.get(TRUST_LIST_PATH)).status_code == 503, "no key yet: nothing can sign the list"
    await KeyService(db, settings, clock).generate("cli")
    response = await client.get(TRUST_LIST_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "set-cookie" not in response.headers
    etag = response.headers["etag"]
    document = response.json()
    verify_trust_list(document, index_keys(keys_from_jwk_set(document)))

    again = await client.get(TRUST_LIST_PATH, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    weak = await client.get(TRUST_LIST_PATH, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    stale = await client.get(TRUST_LIST_PATH, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200

    app_keys = client.app.state["hc"].runtimes["codes"].keys
    await KeyService(db, settings, clock, app_keys).rotate("admin")  # as the administrators' page does
    rotated = await client.get(TRUST_LIST_PATH, headers={"If-None-Match": etag})
    assert rotated.status_code == 200, "a key change through the app makes a new list at once"
    assert rotated.headers["etag"] != etag
    assert len(rotated.json()["keys"]) == 2

    etag = rotated.headers["etag"]
    await KeyService(db, settings, clock).rotate("cli")  # as the CLI does, in another process
    assert (await client.get(TRUST_LIST_PATH, headers={"If-None-Match": etag})).status_code == 304
    clock.advance(seconds=settings.verify_refresh_s)
    later = await client.get(TRUST_LIST_PATH, headers={"If-None-Match": etag})
    assert later.status_code == 200, "seen at the next refresh"
    assert len(later.json()["keys"]) == 3


# --- other issuers' lists -------------------------------------------------------------------------


async def test_a_trusted_list_from_a_file_verifies_its_issuers_codes(
    db: AsyncSession, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    other_key = generate_signing_key()
    path = tmp_path / "cn-110000.json"
    path.write_text(json.dumps(foreign_list(other_key), ensure_ascii=False))
    configured = settings.model_copy(update={"trusted_lists": [str(path)]})
    keys = KeyService(db, configured, clock)
    await keys.generate("cli")

    files = TrustedListFiles()  # as an app's key memory keeps them
    assert [t.issuer for t in files.current(configured)] == [OTHER_ISSUER]
    token = token_for(other_key, clock, issuer=OTHER_ISSUER)
    assert await verify_now(db, configured, clock, token) is Reason.OK
    assert await verify_now(db, settings, clock, token) is Reason.UNKNOWN_ISSUER, "not trusted unless configured"
    # its key vouches only for its own issuer: a code it signs in our name is refused
    assert await verify_now(db, configured, clock, token_for(other_key, clock)) is Reason.UNKNOWN_ISSUER

    document = json.loads((await keys.trust_list())[0])
    assert [t["issuer"] for t in document["trusted"]] == [OTHER_ISSUER]
    assert verify_trust_list(document["trusted"][0], index_keys(keys_from_jwk_set(document["trusted"][0])))

    # the operator replaces the file with a damaged one: the last good version stays in use
    path.write_text(json.dumps({**foreign_list(other_key), "issued_at": 1}))
    assert [t.issuer for t in files.current(configured)] == [OTHER_ISSUER]
    with pytest.raises(TrustListError):
        trusted_lists(configured)  # read afresh (a server starting now): refused


def test_bad_trusted_lists_are_refused_with_their_reason(settings: Settings, tmp_path: Path) -> None:
    other_key = generate_signing_key()
    good = foreign_list(other_key)

    def refused(source: Any) -> str:
        with pytest.raises(TrustListError) as error:
            trusted_lists(settings.model_copy(update={"trusted_lists": [source]}))
        return str(error.value)

    assert "does not verify" in refused({**good, "issued_at": good["issued_at"] + 1})
    assert "cannot read" in refused(str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not valid JSON" in refused(str(broken))
    assert "own issuer" in refused(foreign_list(generate_signing_key(), issuer="CN-150100"))
    smuggled = {**good, "keys": [*good["keys"], jwk_of(verifying_key_for(generate_signing_key(), "CN-150100"))]}
    assert "publishes keys of CN-150100" in refused(
        sign_document({k: v for k, v in smuggled.items() if k != "signature"}, other_key)
    )
    assert "not a trusted key" in refused(
        sign_document({k: v for k, v in good.items() if k != "signature"}, generate_signing_key())
    )
    assert "fraction" in refused(json.dumps({**good, "version": 1.5}))
    doubled = settings.model_copy(update={"trusted_lists": [good, json.dumps(good)]})
    with pytest.raises(TrustListError, match="more than one list of CN-110000"):
        trusted_lists(doubled)
    assert read_trusted_list(json.dumps(good)).issuer == OTHER_ISSUER
