"""Other issuers' trust lists added by an administrator from a file (SPEC §11), kept in the database
beside the operator's files of ``HEALTHCODE_TRUSTED_LISTS`` (:mod:`.trust`).

A list is checked as a configured one is (:func:`~healthcode.codes.trust.read_trusted_list`: its
own signature, its keys all its issuer's), and refused if it is this platform's own issuer, an
issuer configured by file (the operator's decision stays theirs), or not newer than the stored list
of its issuer, which a newer list replaces. Adding, replacing and removing are audited
(``issuers.add``, ``issuers.replace``, ``issuers.remove``) and take effect in this process at once
(like a key change) and in the others at their verifier's next refresh.

Reading stays cheap: :func:`stored_lists` asks the database only which lists there are (ids and
digests, one small query at each verifier refresh, never per verification) and reads and checks a
document only when its digest is new to this process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.codes.memory import KeyMemory
from healthcode.codes.trust import TrustList, TrustListError, read_trusted_list
from healthcode.config import Settings
from healthcode.db.models import TrustedListRecord
from healthcode.domain.clock import Clock
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.keys import b64url

log = logging.getLogger("healthcode.codes")

MAX_LIST_BYTES = 1_000_000


class TrustListRefused(InvalidInput):
    """An uploaded list that cannot be trusted; ``reason`` is the check's English sentence, as
    ``healthcode keys trusted`` prints it."""

    def __init__(self, reason: str):
        super().__init__("trust_list_invalid", N_("This trust list was refused:"), field="file")
        self.reason = reason


@dataclass(frozen=True)
class StoredIssuer:
    """A stored list as the page shows it: who added it and when, and its checked keys."""

    record: TrustedListRecord
    trust: TrustList

    def key_rows(self) -> list[tuple[str, datetime | None, datetime | None]]:
        return key_rows(self.trust)


def key_rows(trust: TrustList) -> list[tuple[str, datetime | None, datetime | None]]:
    """Each key of a list: its base64url kid and its window."""
    return [
        (
            b64url(key.kid),
            datetime.fromtimestamp(key.not_before, UTC) if key.not_before is not None else None,
            datetime.fromtimestamp(key.not_after, UTC) if key.not_after is not None else None,
        )
        for key in trust.keys
    ]


def _checked(record: TrustedListRecord, checked: dict[str, TrustList]) -> TrustList:
    cached = checked.get(record.sha256)
    if cached is None:
        cached = checked[record.sha256] = read_trusted_list(record.document, f"stored list of {record.issuer}")
    return cached


async def stored_lists(
    db: AsyncSession, checked: dict[str, TrustList], skip: set[str] | frozenset[str] = frozenset()
) -> list[TrustList]:
    """The stored lists, checked (``checked`` keeps them by digest), except those of the issuers in
    ``skip`` (configured by file or our own); a stored list that no longer checks is logged and
    left out."""
    rows = (await db.execute(select(TrustedListRecord.id, TrustedListRecord.issuer, TrustedListRecord.sha256))).all()
    lists: list[TrustList] = []
    unread = [row_id for row_id, issuer, digest in rows if digest not in checked and issuer not in skip]
    if unread:
        for record in await db.scalars(select(TrustedListRecord).where(TrustedListRecord.id.in_(unread))):
            try:
                _checked(record, checked)
            except TrustListError as error:
                log.error("a stored trusted list is left out: %s", error)
    for _row_id, issuer, digest in sorted(rows, key=lambda row: row[1]):
        if issuer not in skip and digest in checked:
            lists.append(checked[digest])
    return lists


class TrustedIssuers(AuditedService):
    """Other issuers' lists kept in the database: add (or replace) from a file, see, remove.
    ``memory`` is the app's, so that its verifiers and published trust list follow a change at once."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, memory: KeyMemory | None = None):
        super().__init__(db, settings, clock)
        self.memory = memory if memory is not None else KeyMemory()

    async def all(self) -> list[StoredIssuer]:
        """Every stored list with its checked keys, by issuer."""
        records = await self.db.scalars(select(TrustedListRecord).order_by(TrustedListRecord.issuer))
        shown = []
        for record in records:
            try:
                shown.append(StoredIssuer(record, _checked(record, self.memory.stored)))
            except TrustListError as error:  # pragma: no cover - stored lists were checked when added
                log.error("a stored trusted list does not check: %s", error)
        return shown

    def configured(self) -> tuple[TrustList, ...]:
        """The lists of ``HEALTHCODE_TRUSTED_LISTS`` (the operator's files)."""
        return self.memory.files.current(self.settings)

    async def add(self, content: bytes, filename: str, actor: str) -> tuple[TrustedListRecord, bool]:
        """Check and store the list in ``content``; returns it and whether it replaced an older
        list of its issuer."""
        if not content:
            raise InvalidInput("trust_list_missing", N_("Choose the trust list file to add."), field="file")
        if len(content) > MAX_LIST_BYTES:
            raise InvalidInput(
                "trust_list_too_large", N_("A trust list file has at most {n} bytes."), field="file", n=MAX_LIST_BYTES
            )
        label = filename or "the uploaded file"
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise TrustListRefused(f"{label}: not UTF-8") from None
        if not text.lstrip().startswith("{"):
            raise TrustListRefused(f"{label}: a trust list must be a JSON object")
        try:
            trust = read_trusted_list(text, label)
        except TrustListError as error:
            raise TrustListRefused(str(error)) from None
        if trust.issuer == self.settings.issuer:
            raise TrustListRefused(f"{label}: this is the list of this platform's own issuer {trust.issuer}")
        if trust.issuer in {configured.issuer for configured in self.configured()}:
            raise TrustListRefused(
                f"{label}: the list of {trust.issuer} is configured by the operator in HEALTHCODE_TRUSTED_LISTS; "
                "it is replaced there"
            )
        issued_at = datetime.fromtimestamp(trust.issued_at, UTC)
        record = await self.db.scalar(select(TrustedListRecord).where(TrustedListRecord.issuer == trust.issuer))
        replaced = record is not None
        previous = None
        if record is None:
            record = TrustedListRecord(issuer=trust.issuer)
            self.db.add(record)
        elif record.issued_at >= issued_at:
            raise TrustListRefused(
                f"{label}: the stored list of {trust.issuer} was issued {record.issued_at:%Y-%m-%d %H:%M} UTC, "
                "not before this one; only a newer list replaces it"
            )
        else:
            previous = record.sha256
        digest = sha256(text.encode()).hexdigest()
        record.document = text
        record.sha256 = digest
        record.issued_at = issued_at
        record.added_by = actor
        record.added_at = self.clock.now()
        await self.db.flush()
        await self.audit.record(
            actor,
            "issuers.replace" if replaced else "issuers.add",
            f"issuer:{trust.issuer}",
            sha256=digest,
            keys=[b64url(key.kid) for key in trust.keys],
            issued_at=issued_at,
            previous=previous,
        )
        await self._commit()
        self.memory.stored[digest] = trust
        return record, replaced

    async def remove(self, issuer: str, actor: str) -> None:
        """Stop trusting a stored list: its issuer's codes fail here from the next refresh."""
        record = await self.db.scalar(select(TrustedListRecord).where(TrustedListRecord.issuer == issuer))
        if record is None:
            raise NotFound("trust_list_not_found", N_("No trust list of this issuer is stored."))
        await self.audit.record(actor, "issuers.remove", f"issuer:{issuer}", sha256=record.sha256)
        await self.db.delete(record)
        await self._commit()

    async def _commit(self) -> None:
        try:
            await self.db.commit()
        except IntegrityError:
            await self.db.rollback()
            raise Conflict(
                "trust_list_changed", N_("Another administrator changed this list meanwhile; look again.")
            ) from None
        finally:
            self.memory.forget()
