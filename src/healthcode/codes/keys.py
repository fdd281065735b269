"""This issuer's signing keys, and the keys a verifier here trusts (DESIGN.md "The code token").

Life of a key: ``generate`` makes the first one (``active``); ``prepare`` makes the ``next`` key,
published in the trust list but signing nothing yet; ``rotate`` makes the next key (or, without one,
a new key) active and retires the old one; ``retire`` retires the active key without a successor (no
code can be issued until ``generate``). Every change is audited (``keys.generate``,
``keys.prepare``, ``keys.rotate``, ``keys.retire``).

Preparing first matters to other regions: they re-read our trust list every few minutes
(:data:`PUBLISH_AHEAD_S`), so a key that signs the moment it is made produces codes their
checkpoints refuse as ``unknown_issuer`` until then. ``prepare``, wait, then ``rotate``.

A retired key keeps verifying the tokens it signed: its window ends at ``not_after``, and it stays
in the trust list (and in our verifiers) until every token it could have signed has expired, that
is until ``not_after + max(HEALTHCODE_CODE_TTL_S, HEALTHCODE_PAPER_VALID_DAYS days)`` plus the
verifiers' clock leeway.

``not_after`` is the retirement time plus :data:`SIGNING_CACHE_S`, not the retirement time itself:
each worker keeps the active key in memory for up to that long (see :meth:`KeyService.signing_key`),
so a worker that has not yet noticed a rotation made by another process (the CLI, another worker)
may still sign with the old key for that long, and its tokens must verify.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
    load_der_public_key,
)
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthcode.audit.service import AuditedService
from healthcode.codes.issuers import stored_lists
from healthcode.codes.memory import SIGNING_CACHE_S, ActiveKey, KeyMemory
from healthcode.codes.trust import TrustList, published_document
from healthcode.config import Settings
from healthcode.db.models import SigningKeyRecord
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Unavailable
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import (
    SigningKey,
    VerifyingKey,
    generate_signing_key,
    index_keys,
    jwk_of,
    kid_of,
    signing_key_of,
)
from healthcode.domain.tokens.format import KID_BYTES
from healthcode.domain.tokens.keys import unb64url
from healthcode.privacy.sealed import Sealer

log = logging.getLogger("healthcode.codes")

ACTIVE, NEXT, RETIRED = "active", "next", "retired"
PUBLISH_AHEAD_S = 300
"""How long a prepared key should be published before it signs: the trust list's max-age."""
VERIFY_LEEWAY_S = 30
"""Clock difference forgiven between issuer and verifier (``verify_token``'s default leeway)."""


class KeyStateError(Exception):
    """A key operation that the keys' state does not allow; the message tells the operator why,
    ``code`` names the case for the administrators' page, which says it in the reader's language."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def no_signing_key() -> Unavailable:
    return Unavailable("signing_key_missing", N_("The service is busy or under maintenance. Please try again later."))


async def active_signing_key(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock, memory: KeyMemory
) -> SigningKey:
    """The active key for a handler without a database session: from ``memory``, or (every
    :data:`SIGNING_CACHE_S`) through a session of its own."""
    key = memory.signing_key(clock.now())
    if key is None:
        async with sessionmaker() as db:
            key = await KeyService(db, settings, clock, memory).signing_key()
    return key


class KeyService(AuditedService):
    """Signing keys of this issuer: their life cycle, the key that signs, the keys that verify."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, memory: KeyMemory | None = None):
        super().__init__(db, settings, clock)
        self.sealer = Sealer(settings.keyring)
        self.memory = memory if memory is not None else KeyMemory()
        """The app's (its codes runtime's), or this service's own: then nothing outlives it."""

    # --- how long things stay valid ---------------------------------------------------------------

    @property
    def max_token_life(self) -> timedelta:
        """The longest a token can be valid: a live code's or a paper certificate's lifetime."""
        return timedelta(seconds=max(self.settings.code_ttl_s, self.settings.paper_valid_days * 86400))

    def trusted_until(self, record: SigningKeyRecord) -> datetime | None:
        """When the key leaves the trust list: None while it signs."""
        if record.not_after is None:
            return None
        return record.not_after + self.max_token_life + timedelta(seconds=VERIFY_LEEWAY_S)

    # --- life cycle --------------------------------------------------------------------------------

    async def generate(self, actor: str) -> SigningKeyRecord:
        """Make a new active key; refused while one is active (rotate it instead)."""
        active = await self._active()
        if active is not None:
            raise KeyStateError(f"key {active.kid} is active; use `healthcode keys rotate` to replace it", "key_active")
        record = await self._create()
        await self.audit.record(
            actor, "keys.generate", f"signing_key:{record.kid}", issuer=record.issuer, not_before=record.not_before
        )
        await self._commit()
        return record

    async def ensure_active(self, actor: str) -> tuple[SigningKeyRecord, bool]:
        """The active key, generated first if there is none (``healthcode demo``, first start-up);
        returns it and whether it was made now."""
        active = await self._active()
        if active is not None:
            return active, False
        return await self.generate(actor), True

    async def prepare(self, actor: str) -> SigningKeyRecord:
        """Make the next key: published in the trust list now, signing from the next rotation."""
        if await self._active() is None:
            raise KeyStateError(
                "no key is active; use `healthcode keys generate` to make the first one", "no_active_key"
            )
        prepared = await self.prepared()
        if prepared is not None:
            raise KeyStateError(
                f"key {prepared.kid} is prepared already; `healthcode keys rotate` makes it active", "key_prepared"
            )
        record = await self._create(status=NEXT)
        await self.audit.record(actor, "keys.prepare", f"signing_key:{record.kid}", issuer=record.issuer)
        await self._commit()
        return record

    async def prepared(self) -> SigningKeyRecord | None:
        """The next key, if one is prepared."""
        found: SigningKeyRecord | None = await self.db.scalar(
            select(SigningKeyRecord).where(SigningKeyRecord.status == NEXT).order_by(SigningKeyRecord.id).limit(1)
        )
        return found

    async def rotate(self, actor: str) -> tuple[SigningKeyRecord, SigningKeyRecord]:
        """Retire the active key and make the prepared key (or a new one) active; returns (old, new)."""
        old = await self._active()
        if old is None:
            raise KeyStateError(
                "no key is active; use `healthcode keys generate` to make the first one", "no_active_key"
            )
        self._retire(old)
        await self.db.flush()  # the partial unique index allows one active key: retire first
        new = await self.prepared()
        if new is None:
            new = await self._create()
        else:
            new.status = ACTIVE
            await self.db.flush()
        await self.audit.record(
            actor,
            "keys.rotate",
            f"signing_key:{new.kid}",
            issuer=new.issuer,
            previous=old.kid,
            previous_not_after=old.not_after,
            previous_trusted_until=self.trusted_until(old),
        )
        await self._commit()
        return old, new

    async def retire(self, kid: str, actor: str) -> SigningKeyRecord:
        """Retire the active key ``kid`` (hex, or base64url as in the trust list) with no successor."""
        record = await self.by_kid(kid)
        if record is None:
            raise KeyStateError(f"no signing key {kid}; `healthcode keys list` shows them", "no_such_key")
        if record.status != ACTIVE:
            raise KeyStateError(f"key {record.kid} is already retired", "key_retired")
        self._retire(record)
        await self.audit.record(
            actor,
            "keys.retire",
            f"signing_key:{record.kid}",
            not_after=record.not_after,
            trusted_until=self.trusted_until(record),
        )
        await self._commit()
        return record

    async def all(self) -> list[SigningKeyRecord]:
        """Every key, oldest first."""
        return list(await self.db.scalars(select(SigningKeyRecord).order_by(SigningKeyRecord.id)))

    async def by_kid(self, kid: str) -> SigningKeyRecord | None:
        wanted = _kid_hex(kid.strip())
        if wanted is None:
            return None
        found: SigningKeyRecord | None = await self.db.scalar(
            select(SigningKeyRecord).where(SigningKeyRecord.kid == wanted)
        )
        return found

    async def _active(self) -> SigningKeyRecord | None:
        found: SigningKeyRecord | None = await self.db.scalar(
            select(SigningKeyRecord).where(SigningKeyRecord.status == ACTIVE).with_for_update()
        )
        return found

    def _retire(self, record: SigningKeyRecord) -> None:
        now = self.clock.now()
        record.status = RETIRED
        record.retired_at = now
        record.not_after = now + timedelta(seconds=SIGNING_CACHE_S)

    def published_long_enough(self, record: SigningKeyRecord) -> bool:
        """Whether other regions have had time to fetch the key since it was first published."""
        return self.clock.now() - record.created_at >= timedelta(seconds=PUBLISH_AHEAD_S)

    async def _create(self, status: str = ACTIVE) -> SigningKeyRecord:
        key = generate_signing_key()
        now = self.clock.now()
        public = key.private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        record = SigningKeyRecord(
            kid=key.kid.hex(),
            issuer=self.settings.issuer,
            public_key_der=public,
            private_key_enc=b"",
            not_before=now,
            not_after=None,
            status=status,
            created_at=now,
            retired_at=None,
        )
        self.db.add(record)
        await self.db.flush()  # the ID binds the encrypted key to this row
        private = key.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        self.sealer.seal_bytes(record, "private_key_enc", private)
        await self.db.flush()
        return record

    async def _commit(self) -> None:
        try:
            await self.db.commit()
        except IntegrityError:
            await self.db.rollback()
            raise KeyStateError(
                "another key change happened at the same time; look at `keys list` and retry", "keys_changed"
            ) from None
        finally:
            self.memory.forget()

    # --- signing -----------------------------------------------------------------------------------

    async def signing_key(self) -> SigningKey:
        """The active key, decrypted, for issuing tokens; 503 ``signing_key_missing`` when there is none.

        Cached per process: after one read, for :data:`SIGNING_CACHE_S` seconds this does no database
        work at all (the hot path of showing a code); then one indexed read of which key is active,
        and a decryption only if that key changed.
        """
        now = self.clock.now()
        cached = self.memory.signing_key(now)
        if cached is not None:
            return cached
        record = await self.db.scalar(select(SigningKeyRecord).where(SigningKeyRecord.status == ACTIVE))
        if record is None:
            self.memory.active = None
            raise no_signing_key()
        key = self.memory.decrypted.get(record.kid)
        if key is None:
            private = load_der_private_key(self.sealer.open_bytes(record, "private_key_enc"), password=None)
            if not isinstance(private, ec.EllipticCurvePrivateKey):  # pragma: no cover - we only store EC keys
                raise TypeError("a signing key must be an EC private key")
            key = signing_key_of(private)
            if key.kid.hex() != record.kid:  # pragma: no cover - would mean a damaged row
                raise ValueError(f"signing key row {record.id} does not hold key {record.kid}")
            self.memory.decrypted[record.kid] = key
        self.memory.active = ActiveKey(record.kid, key, now)
        return key

    # --- verifying -----------------------------------------------------------------------------------

    async def published(self) -> list[SigningKeyRecord]:
        """Own keys that may still verify a token: the active one and retired ones until their
        trust ends (:meth:`trusted_until`); oldest first."""
        oldest_kept = self.clock.now() - self.max_token_life - timedelta(seconds=VERIFY_LEEWAY_S)
        rows = await self.db.scalars(
            select(SigningKeyRecord)
            .where(or_(SigningKeyRecord.not_after.is_(None), SigningKeyRecord.not_after >= oldest_kept))
            .order_by(SigningKeyRecord.id)
        )
        return list(rows)

    async def own_verifying_keys(self) -> list[VerifyingKey]:
        return [verifying_key_of(record) for record in await self.published()]

    async def trusted(self) -> tuple[TrustList, ...]:
        """Other issuers' lists: the files of ``HEALTHCODE_TRUSTED_LISTS`` (checked; see
        :mod:`.trust`), then those administrators added (:mod:`.issuers`; a file's issuer wins)."""
        configured = self.memory.files.current(self.settings)
        skip = {trust.issuer for trust in configured} | {self.settings.issuer}
        return (*configured, *await stored_lists(self.db, self.memory.stored, skip))

    async def verifying_keys(self) -> Mapping[bytes, Sequence[VerifyingKey]]:
        """Every key a verifier here accepts, by kid: own keys that may still verify, and the keys of
        the trusted issuers' lists."""
        own = await self.own_verifying_keys()
        return index_keys([*own, *(key for trust in await self.trusted() for key in trust.keys)])

    async def trust_list(self) -> tuple[bytes, str]:
        """The signed trust list as JSON bytes, and its ETag; ``issued_at`` is the last change of
        the keys (see :func:`~healthcode.codes.trust.published_document`)."""
        records = await self.published()
        changes = [record.created_at for record in records] + [r.retired_at for r in records if r.retired_at]
        content = {
            "issuer": self.settings.issuer,
            "keys": [jwk_of(verifying_key_of(record)) for record in records],
            "trusted": [dict(trust.document) for trust in await self.trusted()],
        }
        return published_document(content, await self.signing_key(), changes, self.clock.now())


def verifying_key_of(record: SigningKeyRecord) -> VerifyingKey:
    """The public half of a stored key, with its window in epoch seconds."""
    public = load_der_public_key(record.public_key_der)
    if not isinstance(public, ec.EllipticCurvePublicKey):  # pragma: no cover - we only store EC keys
        raise TypeError("a signing key must be an EC key")
    kid = kid_of(public)
    return VerifyingKey(
        kid,
        record.issuer,
        public,
        int(record.not_before.timestamp()),
        int(record.not_after.timestamp()) if record.not_after else None,
    )


def _kid_hex(kid: str) -> str | None:
    """A kid as stored (16 hex characters), from hex or the trust list's base64url."""
    if len(kid) == 16:
        try:
            return bytes.fromhex(kid).hex()
        except ValueError:
            return None
    try:
        return unb64url(kid, KID_BYTES, "kid").hex()
    except ValueError:
        return None
