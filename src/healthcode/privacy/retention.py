"""How long each kind of personal data is kept, and the purge that enforces it (SPEC §12).

Each kind has a setting in days (``HEALTHCODE_RETENTION_*``, documented in docs/privacy.md) and a
purge: rows past their time are deleted in bounded batches, each batch its own transaction, so a
first run on a large database never holds a long lock. What the rules still read is never purged:
a card's latest declaration stays, and declarations and scans are kept at least 15 days (the rules
look back 14). The purge is a periodic job (once per cluster) and records its counts, never data,
in the audit trail. The statistics rollups are brought up to date first, so that the counts of
what goes are kept (:mod:`healthcode.statistics.rollups`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Delete, Update, delete, func, or_, select, update

from healthcode.audit.service import AuditedService
from healthcode.config import Settings
from healthcode.db.models import (
    Application,
    ApplicationPhoto,
    AuthSession,
    Declaration,
    FeverRecord,
    ListEntry,
    ListImport,
    Scan,
    SmsChallenge,
    SmsOutboxMessage,
    SmsQuotaReset,
    TestResultRecord,
    Ticket,
    TicketFix,
    TicketReply,
)
from healthcode.domain.i18n import N_
from healthcode.statistics.rollups import Rollups

BATCH = 5_000
DECIDED = ("approved", "rejected", "withdrawn")


@dataclass(frozen=True)
class Retention:
    """One kind of data: its name, what it is (an English msgid), its setting and days kept."""

    kind: str
    label: str
    setting: str
    days: int


KINDS: list[tuple[str, str, str]] = [
    ("sms", N_("SMS codes (hashed) and texts sent"), "retention_sms_days"),
    ("sessions", N_("Logins after they expired or ended"), "retention_sessions_days"),
    ("declarations", N_("Earlier health declarations (the latest is kept)"), "retention_declarations_days"),
    ("scans", N_("Checkpoint scans and fevers recorded"), "retention_scans_days"),
    ("photos", N_("Document photos after the application was decided"), "retention_photos_days"),
    ("tickets", N_("Support tickets"), "retention_tickets_days"),
    (
        "lists",
        N_("Ended list entries, test results, uploaded list files and their reports"),
        "retention_list_days",
    ),
]


def retentions(settings: Settings) -> list[Retention]:
    """Every kind with the days the settings keep it."""
    return [Retention(kind, label, setting, int(getattr(settings, setting))) for kind, label, setting in KINDS]


class Purge(AuditedService):
    """Deletes what is past its time; :meth:`run` returns how many rows of each kind went."""

    async def run(self) -> dict[str, int]:
        now = self.clock.now()
        await Rollups(self.db, self.settings, self.clock).run()  # count what is about to go first
        days = {r.kind: timedelta(days=r.days) for r in retentions(self.settings)}
        gone = {kind: 0 for kind in days}
        steps: list[tuple[str, Callable[[datetime], list[Delete | Update]]]] = [
            ("sms", _sms),
            ("sessions", _sessions),
            ("declarations", _declarations),
            ("scans", _scans),
            ("photos", _photos),
            ("tickets", _tickets),
            ("lists", _lists),
        ]
        for kind, statements in steps:
            for statement in statements(now - days[kind]):
                gone[kind] += await self._in_batches(statement)
        if any(gone.values()):
            await self.audit.record("system", "privacy.purge", "", **{k: n for k, n in gone.items() if n})
            await self.db.commit()
        return gone

    async def _in_batches(self, statement: Delete | Update) -> int:
        total = 0
        while True:
            result = await self.db.execute(statement)
            await self.db.commit()
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            total += count
            if count < BATCH:
                return total


def _batch(model: type, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """``id IN`` the first :data:`BATCH` ids matching ``where`` (a bounded statement on every database)."""
    ids = select(model.id).where(*where).limit(BATCH).scalar_subquery()  # type: ignore[attr-defined]
    return model.id.in_(ids)  # type: ignore[attr-defined, no-any-return]


def _sms(cutoff: datetime) -> list[Delete | Update]:
    return [
        delete(SmsChallenge).where(_batch(SmsChallenge, SmsChallenge.sent_at < cutoff)),
        delete(SmsQuotaReset).where(_batch(SmsQuotaReset, SmsQuotaReset.reset_at < cutoff)),
        delete(SmsOutboxMessage).where(_batch(SmsOutboxMessage, SmsOutboxMessage.sent_at < cutoff)),
    ]


def _sessions(cutoff: datetime) -> list[Delete | Update]:
    ended = or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
    return [delete(AuthSession).where(_batch(AuthSession, ended))]


def _declarations(cutoff: datetime) -> list[Delete | Update]:
    latest = select(func.max(Declaration.id)).group_by(Declaration.card_id)
    return [
        delete(Declaration).where(_batch(Declaration, Declaration.declared_at < cutoff, Declaration.id.not_in(latest)))
    ]


def _scans(cutoff: datetime) -> list[Delete | Update]:
    old_scans = select(Scan.id).where(Scan.at < cutoff)
    return [
        delete(FeverRecord).where(_batch(FeverRecord, FeverRecord.scan_id.in_(old_scans))),
        delete(Scan).where(_batch(Scan, Scan.at < cutoff)),
    ]


def _photos(cutoff: datetime) -> list[Delete | Update]:
    decided = select(Application.id).where(Application.state.in_(DECIDED), Application.decided_at < cutoff)
    return [delete(ApplicationPhoto).where(_batch(ApplicationPhoto, ApplicationPhoto.application_id.in_(decided)))]


def _tickets(cutoff: datetime) -> list[Delete | Update]:
    old = select(Ticket.id).where(Ticket.created_at < cutoff)
    return [
        delete(TicketReply).where(_batch(TicketReply, TicketReply.ticket_id.in_(old))),
        delete(TicketFix).where(_batch(TicketFix, TicketFix.ticket_id.in_(old))),
        delete(Ticket).where(_batch(Ticket, Ticket.created_at < cutoff)),
    ]


def _lists(cutoff: datetime) -> list[Delete | Update]:
    ended = or_(ListEntry.cleared_at < cutoff, ListEntry.until < cutoff.date())
    finished = (
        ListImport.finished_at < cutoff,
        or_(ListImport.file_enc.is_not(None), ListImport.report_enc.is_not(None)),
    )
    return [
        delete(ListEntry).where(_batch(ListEntry, ended)),
        delete(TestResultRecord).where(_batch(TestResultRecord, TestResultRecord.taken_on < cutoff.date())),
        update(ListImport).where(_batch(ListImport, *finished)).values(file_enc=None, report_enc=None),
    ]
