"""Importing authority lists (SPEC §5, §10): queue an upload, parse and check it row by row, then
in ONE transaction add the entries and recolour everyone concerned. A file that fails changes
nothing; a file with bad rows imports the good ones and keeps a report of the rest."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from healthcode.audit.service import AuditedService
from healthcode.cards.service import document_index
from healthcode.colours.facts import latest_declarations
from healthcode.colours.service import ColourService, make_colour_service
from healthcode.config import Settings
from healthcode.db.base import table_of
from healthcode.db.leases import LeaseLost, Leases, process_holder
from healthcode.db.models import Card, Declaration, ListEntry, ListImport, RiskAreaRecord, TestResultRecord
from healthcode.domain.clock import Clock
from healthcode.domain.colours import RiskArea
from healthcode.domain.colours.matching import TRAVEL_WINDOW_DAYS
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.i18n import translate
from healthcode.lists.files import HEAD_SIZE, ListFileError, detect_format
from healthcode.lists.parsing import KINDS, ParsedFile, parse_list_file
from healthcode.lists.report import read_rows, report_csv, seal_rows
from healthcode.lists.rows import AreaRow, CaseRow, RejectedRow, TestRow
from healthcode.privacy.sealed import Sealer
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

log = logging.getLogger("healthcode.lists")
MAX_FILE_BYTES = 50_000_000  # a million rows of CSV is about 50 MB
PROGRESS_EVERY_S = 1.0
INTERNAL_ERROR = N_("Something went wrong on our side. Please try again later.")
INTERRUPTED = N_(
    "This import stopped before finishing several times (a server restarted or ran out of memory): "
    "split the file and upload the parts."
)
MAX_ATTEMPTS = 3
"""Runs of one upload, counting those a stopped worker left unfinished, before it is failed."""
CLAIM_CANDIDATES = 20
BATCH = 5_000
TRAVEL_WINDOW = timedelta(days=TRAVEL_WINDOW_DAYS)
_areas = table_of(RiskAreaRecord)
# A "low" row lifts the region's open risk area: one statement executed for all of them.
LIFT_AREA = (
    update(_areas)
    .where(_areas.c.region_code == bindparam("region"), _areas.c.effective_to.is_(None))
    .values(effective_to=bindparam("until"))
)


def lease_name(import_id: int) -> str:
    """The lease a worker holds while it runs an upload (:mod:`healthcode.db.leases`)."""
    return f"list_import:{import_id}"


class ListImportService(AuditedService):
    """Uploads are queued (``start``) and worked by the background job or the CLI (``run``)."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, colours: ColourService, leases: Leases):
        super().__init__(db, settings, clock)
        self.colours = colours
        self.leases = leases
        self.sealer = Sealer(settings.keyring)

    async def start(self, principal: Principal | None, kind: str, filename: str, data: bytes) -> ListImport:
        """Check the file is a list at all and queue it; row checks happen when it runs."""
        official = await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.AUTHORITY)
        return await self.queue(f"staff:{official.id}", kind, filename, data)

    async def queue(self, actor: str, kind: str, filename: str, data: bytes) -> ListImport:
        if kind not in KINDS:
            raise InvalidInput(
                "list_kind_unknown", N_("Choose a case list, a risk-area list or test results."), field="kind"
            )
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput("list_file_too_large", N_("The file is too large; split it."), field="file")
        try:
            detect_format(filename, data[:HEAD_SIZE])
        except ListFileError as exc:
            raise InvalidInput(exc.code, N_("Upload a CSV or XLSX file with a header row."), field="file") from exc
        upload = ListImport(
            kind=kind,
            filename=filename[:200],
            uploaded_by=actor,
            created_at=self.clock.now(),
            status="queued",
        )
        self.db.add(upload)
        await self.db.flush()
        self.sealer.seal_bytes(upload, "file_enc", data)
        await self.audit.record(actor, "lists.upload", f"import:{upload.id}", kind=kind, filename=upload.filename)
        await self.db.commit()
        return upload

    async def claim_next(self) -> int | None:
        """Take the oldest upload waiting to run: queued, or left running by a worker that stopped
        (its lease expired). One worker wins each; None when there is nothing to take."""
        candidates = await self.db.scalars(
            select(ListImport.id)
            .where(ListImport.status.in_(("queued", "running")))
            .order_by(ListImport.id)
            .limit(CLAIM_CANDIDATES)
        )
        for import_id in list(candidates):
            if await self.claim(import_id):
                return import_id
        return None

    async def claim(self, import_id: int) -> bool:
        """Take an upload's lease and mark it running; False when another worker (or the CLI)
        holds it, or it has finished. Commits."""
        lease = lease_name(import_id)
        if not await self.leases.take(lease, self.settings.job_lease_s):
            return False
        claimed = await self.db.execute(
            update(ListImport)
            .where(ListImport.id == import_id, ListImport.status.in_(("queued", "running")))
            .values(status="running", attempts=ListImport.attempts + 1)
        )
        await self.db.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            await self.leases.release(lease)
            return False
        return True

    async def run(self, import_id: int, progress: Callable[[ListImport], None] | None = None) -> ListImport:
        """Parse, check, then add and recolour in one transaction; on any failure nothing is kept
        but the import's status and error. The worker holds the upload's lease throughout
        (renewed while it runs); if it stops, another takes the upload over once the lease expires
        and runs it again from the start, at most :data:`MAX_ATTEMPTS` times in all."""
        lease = lease_name(import_id)
        upload = await self._get(import_id)
        if upload.status not in ("queued", "running"):
            raise Conflict("import_finished", N_("This import has already run."))
        if not await self.leases.take(lease, self.settings.job_lease_s):
            raise Conflict("import_running", N_("This import is being run elsewhere; follow it on the import page."))
        try:
            if upload.attempts > MAX_ATTEMPTS:
                return await self._fail(import_id, ListFileError("import_interrupted", INTERRUPTED))
            async with self.leases.kept(lease, self.settings.job_lease_s):
                return await self._run(upload, progress)
        except LeaseLost:
            await self.db.rollback()
            log.warning("import %s was taken over by another worker; its result is theirs", import_id)
            return await self._get(import_id)
        finally:
            await self.leases.release(lease)

    async def _run(self, upload: ListImport, progress: Callable[[ListImport], None] | None) -> ListImport:
        import_id = upload.id  # a rollback expires the row
        upload.status = "running"
        try:
            parsed = await self._parse(upload, progress)
            upload.total_rows = parsed.total
            upload.accepted_rows, upload.rejected_rows = len(parsed.accepted), len(parsed.rejected)
            card_ids = await self._apply(upload, parsed)
            upload.recoloured_cards = await self.colours.recompute(card_ids)
            if parsed.rejected:
                self.sealer.seal_bytes(upload, "report_enc", seal_rows(parsed.rejected))
            upload.status, upload.finished_at = "done", self.clock.now()
            await self.audit.record(
                upload.uploaded_by,
                "lists.import",
                f"import:{upload.id}",
                accepted=upload.accepted_rows,
                rejected=upload.rejected_rows,
                recoloured=upload.recoloured_cards,
            )
            await self.leases.still_held(self.db, lease_name(import_id))
            await self.db.commit()
        except LeaseLost:
            raise
        except Exception as exc:
            await self.db.rollback()
            failed = await self._fail(import_id, exc)
            if not isinstance(exc, ListFileError):
                raise
            return failed
        return upload

    async def _fail(self, import_id: int, exc: Exception) -> ListImport:
        """Mark the import failed with why (a file's problem, or an internal error), and commit."""
        upload = await self._get(import_id)
        upload.status, upload.finished_at = "failed", self.clock.now()
        upload.error = json.dumps(
            {"msgid": exc.msgid, "params": exc.params}
            if isinstance(exc, ListFileError)
            else {"msgid": INTERNAL_ERROR, "params": {}},
            ensure_ascii=False,
            default=str,
        )
        await self.db.commit()
        return upload

    async def _parse(self, upload: ListImport, progress: Callable[[ListImport], None] | None) -> ParsedFile:
        """Parse in a worker thread; meanwhile commit the rows checked so far every second, so the
        import page shows progress (nothing else is written before parsing ends)."""
        data = self.sealer.open_bytes(upload, "file_enc")
        today = self.clock.now().astimezone(self.settings.zone).date()
        counts: list[int] = [0]
        parsing = asyncio.get_running_loop().run_in_executor(
            None,
            lambda: parse_list_file(upload.kind, upload.filename, data, today=today, progress=counts.append),
        )
        while not parsing.done():
            await asyncio.wait([parsing], timeout=PROGRESS_EVERY_S)
            if counts[-1] != upload.processed_rows:
                upload.processed_rows = counts[-1]
                await self.db.commit()
                if progress is not None:
                    progress(upload)
        parsed = parsing.result()
        upload.processed_rows = upload.total_rows = parsed.total
        if progress is not None:
            progress(upload)
        return parsed

    async def _apply(self, upload: ListImport, parsed: ParsedFile) -> list[int]:
        """Insert the accepted rows; return the ids of the cards whose colour may change."""
        if upload.kind == "cases":
            entries = [
                {
                    "document_index": document_index(self.settings, r.document_type, r.document_number),
                    "kind": r.kind,
                    "since": r.since,
                    "until": r.until,
                    "import_id": upload.id,
                }
                for r in parsed.accepted
                if isinstance(r, CaseRow)
            ]
            return await self._insert_by_document(ListEntry, entries)
        if upload.kind == "tests":
            results = [
                {
                    "document_index": document_index(self.settings, r.document_type, r.document_number),
                    "taken_on": r.taken_on,
                    "positive": r.positive,
                    "import_id": upload.id,
                }
                for r in parsed.accepted
                if isinstance(r, TestRow)
            ]
            return await self._insert_by_document(TestResultRecord, results)
        areas = [r for r in parsed.accepted if isinstance(r, AreaRow)]
        values = [
            {
                "region_code": r.region_code,
                "level": r.level,
                "effective_from": r.effective_from,
                "effective_to": r.effective_to,
                "import_id": upload.id,
            }
            for r in areas
            if r.level != "low"
        ]
        lifted = [{"region": r.region_code, "until": r.effective_from} for r in areas if r.level == "low"]
        if lifted:
            await self.db.execute(LIFT_AREA, lifted)
        if values:
            await self.db.execute(insert(table_of(RiskAreaRecord)), values)
        return await self._travellers(
            [RiskArea(r.region_code, r.level, r.effective_from, r.effective_to) for r in areas]
        )

    async def _insert_by_document(
        self, model: type[ListEntry | TestResultRecord], rows: Sequence[Mapping[str, object]]
    ) -> list[int]:
        """Insert rows that name people by document index; return the ids of those people's cards."""
        for start in range(0, len(rows), BATCH):
            await self.db.execute(insert(table_of(model)), rows[start : start + BATCH])
        indexes = sorted({str(row["document_index"]) for row in rows})
        ids: list[int] = []
        for start in range(0, len(indexes), BATCH):
            chunk = indexes[start : start + BATCH]
            ids.extend(await self.db.scalars(select(Card.id).where(Card.document_index.in_(chunk))))
        return ids

    async def _travellers(self, areas: list[RiskArea]) -> list[int]:
        """Cards whose latest declaration (within the travel window) names a region these areas cover."""
        since = self.clock.now() - TRAVEL_WINDOW
        rows = await self.db.execute(
            latest_declarations(
                Declaration.card_id, Declaration.travel_regions, where=[Declaration.declared_at >= since]
            )
        )
        return [
            card_id
            for card_id, regions in rows.all()
            if any(area.covers(region) for area in areas for region in regions)
        ]

    async def report(self, principal: Principal | None, import_id: int) -> bytes:
        """The rejected rows as CSV in the reader's language (they hold document numbers: reading
        them is audited)."""
        official = await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.AUTHORITY)
        upload = await self._get(import_id)
        if upload.report_enc is None:
            raise NotFound("report_not_found", N_("This import has no rejected rows."))
        await self.audit.record(f"staff:{official.id}", "lists.report_read", f"import:{upload.id}")
        await self.db.commit()
        return report_csv(self.rejections(upload))

    def rejections(self, upload: ListImport, limit: int | None = None) -> list[RejectedRow]:
        """The first ``limit`` rejected rows of an import the caller may see (from :meth:`status`)."""
        if upload.report_enc is None:
            return []
        return read_rows(self.sealer.open_bytes(upload, "report_enc"))[:limit]

    async def recent(self, principal: Principal | None, limit: int = 20) -> list[ListImport]:
        await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.AUTHORITY)
        return list(await self.db.scalars(select(ListImport).order_by(ListImport.id.desc()).limit(limit)))

    @staticmethod
    def error_message(upload: ListImport) -> str | None:
        """Why an import failed, in the reader's language."""
        if not upload.error:
            return None
        stored = json.loads(upload.error)
        msgid, params = stored["msgid"], stored["params"]  # Babel before 2.19 took "msgid" for a text
        return translate(msgid, **params)

    async def status(self, principal: Principal | None, import_id: int) -> ListImport:
        await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.AUTHORITY)
        return await self._get(import_id)

    async def _get(self, import_id: int) -> ListImport:
        upload = await self.db.get(ListImport, import_id)
        if upload is None:
            raise NotFound("import_not_found", N_("There is no such import."))
        return upload


def make_list_import_service(
    db: AsyncSession, settings: Settings, clock: Clock, leases: Leases | None = None
) -> ListImportService:
    """The service; its leases are held in the name of this process unless ``leases`` says whose."""
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the list import service needs a session bound to an engine")
    return ListImportService(
        db, settings, clock, make_colour_service(db, settings, clock), leases or Leases(engine, clock, process_holder())
    )
