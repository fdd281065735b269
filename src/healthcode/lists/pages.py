"""The health authority's list desk under ``/staff/lists``: upload a case list, a risk-area list or
laboratory test results,
follow its import, and download the rows that were left out.

Uploads are only queued here; the background job (or ``healthcode`` CLI) runs them, and the import
page refreshes itself until the run ends. The service checks the authority role on every call.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery, MultipartBody
from litestar.response import Redirect, Response, Template

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.forms import field_errors, text
from healthcode.lists.parsing import COLUMNS, KINDS
from healthcode.lists.service import MAX_FILE_BYTES, ListImportService, make_list_import_service
from healthcode.sessions.service import Principal

DESK_PATH = "/staff/lists"
# Room for the multipart framing and the other fields around a file of the largest size.
FORM_OVERHEAD = 64 * 1024
# The rejected-rows report holds document numbers: never keep it in a cache.
RUNNING = ("queued", "running")
REFRESH_SECONDS = 2
# The first rejected rows are shown on the import page with their reasons; the report has them all.
SHOWN_REJECTIONS = 100

KIND_LABELS = {"cases": N_("Case list"), "areas": N_("Risk areas"), "tests": N_("Test results")}
STATUS_LABELS = {
    "queued": N_("Waiting to start"),
    "running": N_("Running"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}
# What each column of a file holds, as the upload form explains it; the headers themselves come
# from the parser's vocabulary, so the form cannot drift from what is accepted.
COLUMN_HINTS = {
    "document_type": N_("Optional. A type by name or code, such as passport or 03; empty means a resident ID."),
    "document_number": N_("Required. The number as printed on the document; in Excel, format the column as text."),
    "list": N_("Required. confirmed, suspected, asymptomatic, close_contact, secondary_contact or isolation."),
    "since": N_("Required. The date the person is on the list from, such as 2020-02-05."),
    "until": N_("Optional. The date the person leaves the list; empty while they stay on it."),
    "region_code": N_("Required. The 6-digit GB/T 2260 region code, such as 150102."),
    "level": N_("Required. high, medium or low; low lifts the area's earlier level."),
    "effective_from": N_("Required. The date the level applies from, such as 2020-02-05."),
    "effective_to": N_("Optional. The date the level ends; empty while it lasts."),
    "taken_on": N_("Required. The date the sample was taken, such as 2020-02-05; not after today."),
    "result": N_("Required. positive (阳性) or negative (阴性)."),
    "lab": N_("Optional. The laboratory; shown in the report of rejected rows only."),
    "name": N_("Optional. Shown in the report of rejected rows only."),
}

DESKS = [Desk(Role.AUTHORITY, DESK_PATH, N_("Authority lists and risk areas"))]


async def _desk_page(
    service: ListImportService,
    principal: Principal | None,
    *,
    kind: str = "cases",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    imports = await service.recent(principal)
    return Template(
        template_name="lists/desk.html",
        context={
            "imports": imports,
            "kinds": [(name, KIND_LABELS[name]) for name in KINDS],
            "kind": kind if kind in KINDS else "cases",
            "kind_labels": KIND_LABELS,
            "status_labels": STATUS_LABELS,
            "columns": COLUMNS,
            "hints": COLUMN_HINTS,
            "errors": errors or {},
        },
        status_code=status,
    )


@get("/", name="list_desk")
async def desk(staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep) -> Template:
    return await _desk_page(make_list_import_service(db, settings, clock), staff_or_none)


@post("/", request_max_body_size=MAX_FILE_BYTES + FORM_OVERHEAD)
async def upload(
    data: MultipartBody[dict[str, Any]],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    """A form without a file sends an empty text field instead: the service answers beside the field."""
    kind = text(data, "kind", 20)
    chosen = data.get("file")
    if isinstance(chosen, list):
        chosen = chosen[0] if chosen else None
    filename, content = "", b""
    if isinstance(chosen, UploadFile):
        filename = chosen.filename
        content = await chosen.read(MAX_FILE_BYTES + 1)
        await chosen.close()
    service = make_list_import_service(db, settings, clock)
    try:
        started = await service.start(staff_or_none, kind, filename, content)
    except InvalidInput as exc:
        await db.rollback()
        return await _desk_page(service, staff_or_none, kind=kind, errors=field_errors(exc), status=422)
    return Redirect(f"{DESK_PATH}/imports/{started.id}", status_code=303)


@get("/imports/{import_id:int}", name="list_import")
async def import_page(
    import_id: RowId,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    refresh: FromQuery[str] = "on",
) -> Template:
    """``refresh=off`` stops the page refreshing itself (WCAG 2.2.1: the reader can turn it off).

    A finished import lists its first rejected rows: line, column and reason in the reader's
    language (reasons never quote a document number, so the page shows none; the report does)."""
    service = make_list_import_service(db, settings, clock)
    upload = await service.status(staff_or_none, import_id)
    running = upload.status in RUNNING
    return Template(
        template_name="lists/import.html",
        context={
            "upload": upload,
            "rejections": service.rejections(upload, SHOWN_REJECTIONS) if upload.status == "done" else [],
            "error": ListImportService.error_message(upload),
            "running": running,
            "refresh_seconds": REFRESH_SECONDS if running and refresh != "off" else None,
            "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
            "status_label": STATUS_LABELS.get(upload.status, upload.status),
        },
    )


@get("/imports/{import_id:int}/rejected.csv", name="list_import_rejected")
async def rejected_rows(
    import_id: RowId, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Response[bytes]:
    report = await make_list_import_service(db, settings, clock).report(staff_or_none, import_id)
    return Response(
        report,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-rejected.csv"',
        },
    )


router = Router(path=DESK_PATH, route_handlers=[desk, upload, import_page, rejected_rows], include_in_schema=False)
