"""Other issuers' trust lists added by an administrator from a file (SPEC §11): checked like the
operator's configured files, stored, used by verifiers and published, replaced only by a newer
list, removed; the verifier's reads stay few (documents are checked once per process)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.codes.issuers import TrustedIssuers, TrustListRefused
from healthcode.codes.keys import KeyService
from healthcode.codes.memory import KeyMemory
from healthcode.config import Settings
from healthcode.db.models import AuditRecord
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import NotFound
from healthcode.domain.tokens import Reason, generate_signing_key
from tests.integration.test_keys import OTHER_ISSUER, counting_queries, foreign_list, token_for, verify_now


def as_file(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


async def audit_actions(db: AsyncSession) -> list[tuple[str, str]]:
    rows = await db.execute(select(AuditRecord.action, AuditRecord.subject).order_by(AuditRecord.seq))
    return [(action, subject) for action, subject in rows.all() if action.startswith("issuers.")]


async def test_an_added_list_verifies_its_issuers_codes_until_removed(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    other_key = generate_signing_key()
    memory = KeyMemory()  # the app's
    keys = KeyService(db, settings, clock, memory)
    await keys.generate("cli")
    token = token_for(other_key, clock, issuer=OTHER_ISSUER)
    assert await verify_now(db, settings, clock, token, memory) is Reason.UNKNOWN_ISSUER

    issuers = TrustedIssuers(db, settings, clock, memory)
    record, replaced = await issuers.add(as_file(foreign_list(other_key)), "cn-110000.json", "staff:1")

    assert (record.issuer, replaced) == (OTHER_ISSUER, False)
    assert await verify_now(db, settings, clock, token, memory) is Reason.OK
    document = json.loads((await keys.trust_list())[0])
    assert [t["issuer"] for t in document["trusted"]] == [OTHER_ISSUER]
    [shown] = await issuers.all()
    assert len(shown.key_rows()) == 1
    with counting_queries(engine) as statements:
        assert await verify_now(db, settings, clock, token, memory) is Reason.OK
    assert not any("trusted_lists.document" in s for s in statements), "a known list is not read again"

    newer = foreign_list(other_key, issued_at=1_772_330_400 + 3600)
    assert (await issuers.add(as_file(newer), "newer.json", "staff:2"))[1] is True
    await issuers.remove(OTHER_ISSUER, "staff:2")

    assert await verify_now(db, settings, clock, token, memory) is Reason.UNKNOWN_ISSUER
    assert await audit_actions(db) == [
        ("issuers.add", f"issuer:{OTHER_ISSUER}"),
        ("issuers.replace", f"issuer:{OTHER_ISSUER}"),
        ("issuers.remove", f"issuer:{OTHER_ISSUER}"),
    ]
    with pytest.raises(NotFound):
        await issuers.remove(OTHER_ISSUER, "staff:2")


async def test_lists_that_cannot_be_trusted_are_refused_with_their_reason(
    db: AsyncSession, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    other_key = generate_signing_key()
    issuers = TrustedIssuers(db, settings, clock)
    good = foreign_list(other_key)
    await issuers.add(as_file(good), "good.json", "staff:1")
    cases = {
        b"not json": "a trust list must be a JSON object",
        b"{": "not valid JSON",
        "\xff".encode("latin-1"): "not UTF-8",
        as_file({**good, "issued_at": good["issued_at"] + 1}): "does not verify",
        as_file(good): "not before this one",
        as_file(foreign_list(generate_signing_key(), issuer="CN-150100")): "this platform's own issuer",
    }
    for content, reason in cases.items():
        with pytest.raises(TrustListRefused) as refused:
            await issuers.add(content, "upload.json", "staff:1")
        assert reason in refused.value.reason, refused.value.reason

    path = tmp_path / "configured.json"
    path.write_text(json.dumps(foreign_list(generate_signing_key(), issuer="CN-310000")))
    configured = TrustedIssuers(db, settings.model_copy(update={"trusted_lists": [str(path)]}), clock)
    with pytest.raises(TrustListRefused) as by_file:
        await configured.add(as_file(foreign_list(generate_signing_key(), issuer="CN-310000")), "x.json", "staff:1")
    assert "HEALTHCODE_TRUSTED_LISTS" in by_file.value.reason
    assert await audit_actions(db) == [("issuers.add", f"issuer:{OTHER_ISSUER}")]
