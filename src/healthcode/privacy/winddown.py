"""Ending the service (SPEC §12): every piece of personal data purged, as the national itinerary
card deleted its data in December 2022.

Before anything is deleted, counts without personal data are kept as :class:`Aggregate` rows
(applications per day and outcome, declarations per day, scans and fevers per day and site, cards
per colour). Then residents, their sessions and SMS, cards, links, applications and photos,
declarations, scans and fevers, recodes, certificates and revocations, tickets, list entries, test
results and uploaded lists are deleted, and the signing keys' private parts emptied. The audit trail is kept
whole (it names ids and actions, never personal data) and stays verifiable; the wind-down is its
last entry. The database's free space is then overwritten (SQLite ``VACUUM``, PostgreSQL
``VACUUM FULL``) so that deleted rows do not linger in the files. Destroying the data keys is the
caller's last step (:func:`destroy_local_keys` for keys kept in ``var/secrets.json``).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from healthcode.audit.service import AuditedService
from healthcode.db.base import Base
from healthcode.db.models import (
    Aggregate,
    Application,
    ApplicationPhoto,
    AuthSession,
    Card,
    CardHolder,
    Declaration,
    FeverRecord,
    ListEntry,
    ListImport,
    PaperCertificate,
    RecodeRecord,
    Resident,
    RevokedToken,
    Scan,
    SigningKeyRecord,
    SmsChallenge,
    SmsOutboxMessage,
    SmsQuotaReset,
    TestResultRecord,
    Ticket,
    TicketFix,
    TicketReply,
)
from healthcode.statistics.rollups import Rollups

# Deleted in this order: each table before the ones its rows point to.
PURGED: tuple[type[Base], ...] = (
    FeverRecord,
    Scan,
    ApplicationPhoto,
    Application,
    CardHolder,
    Declaration,
    RecodeRecord,
    PaperCertificate,
    RevokedToken,
    TicketReply,
    TicketFix,
    Ticket,
    Card,
    AuthSession,
    SmsChallenge,
    SmsQuotaReset,
    SmsOutboxMessage,
    Resident,
    ListEntry,
    TestResultRecord,
    ListImport,
)
DESTROYED_KEYS = ("data_keys", "index_key", "card_key")
"""The keys that only ever protected or found personal data; the audit key stays (the chain)."""


class WindDown(AuditedService):
    """Purges all personal data; :meth:`run` returns how many rows of each table went."""

    async def run(self) -> dict[str, int]:
        today = self.clock.now().astimezone(self.settings.zone).date()
        await Rollups(self.db, self.settings, self.clock).run()  # the statistics pages' counts stay
        await self._keep_aggregates(today)
        await self.db.execute(update(PaperCertificate).values(reprint_of=None))
        gone: dict[str, int] = {}
        for model in PURGED:
            result = await self.db.execute(delete(model))
            gone[model.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        await self.db.execute(update(SigningKeyRecord).values(private_key_enc=b""))
        await self.audit.record("cli", "data.wind_down", "", **{name: n for name, n in gone.items() if n})
        await self.db.commit()
        return gone

    async def _keep_aggregates(self, today: date) -> None:
        day = func.date(Application.created_at)
        rows: list[dict[str, Any]] = []
        counts = [
            ("applications", select(day, Application.state, func.count()).group_by(day, Application.state)),
            (
                "declarations",
                select(func.date(Declaration.declared_at), literal(""), func.count()).group_by(
                    func.date(Declaration.declared_at)
                ),
            ),
            (
                "scans",
                select(func.date(Scan.at), Scan.site_id, func.count()).group_by(func.date(Scan.at), Scan.site_id),
            ),
            (
                "fevers",
                select(func.date(FeverRecord.taken_at), Scan.site_id, func.count())
                .join(Scan, Scan.id == FeverRecord.scan_id)
                .group_by(func.date(FeverRecord.taken_at), Scan.site_id),
            ),
            ("cards", select(literal(today), Card.colour, func.count()).group_by(Card.colour)),
        ]
        for kind, query in counts:
            for on, key, n in (await self.db.execute(query)).all():
                rows.append({"kind": kind, "day": _day(on), "key": str(key or ""), "count": int(n)})
        await self.db.execute(delete(Aggregate).where(Aggregate.kind.in_([kind for kind, _ in counts])))
        if rows:
            await self.db.execute(insert(Aggregate), rows)


async def overwrite_free_space(engine: AsyncEngine) -> None:
    """Rewrite the database's files so that deleted rows are gone from them too."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            await autocommit.exec_driver_sql("VACUUM")
            await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for model in PURGED:
                await autocommit.exec_driver_sql(f"VACUUM FULL {model.__tablename__}")


def destroy_local_keys(var_dir: Path) -> bool:
    """Remove the data keys from ``var/secrets.json`` (the next start makes new ones, which open
    nothing that was sealed before); False when the keys are not kept there (set by the deployment:
    remove them from its secret store)."""
    path = var_dir / "secrets.json"
    if not path.exists():
        return False
    kept = json.loads(path.read_text())
    if not any(name in kept for name in DESTROYED_KEYS):
        return False
    remaining = {name: value for name, value in kept.items() if name not in DESTROYED_KEYS}
    partial = path.with_suffix(".partial")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as kept_file:
        kept_file.write(json.dumps(remaining, indent=2))
    os.replace(partial, path)
    return True


def _day(value: date | datetime | str) -> date:
    """A day as the database gives it (PostgreSQL a date, SQLite its text); days are UTC days."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
