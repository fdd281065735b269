"""The staff API of health authorities' systems (API.md "Staff API"): upload a list and follow its
import. The same import as the list desk's (:class:`ListImportService`): the upload is queued and
the background job parses it row by row, adds the good rows and recolours the people concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import msgspec
from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody

from healthcode.apikeys.api import STAFF_API_SECURITY, StaffApiCaller, staff_api_key
from healthcode.db.models import ListImport
from healthcode.domain.api_keys import Scope
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep
from healthcode.lists.pages import FORM_OVERHEAD
from healthcode.lists.service import MAX_FILE_BYTES, ListImportService, make_list_import_service

StateWord = Literal["queued", "running", "done", "refused"]
STATES: dict[str, StateWord] = {"queued": "queued", "running": "running", "done": "done", "failed": "refused"}
"""The API's word for an import's status (a file that failed as a whole is ``refused``)."""


@dataclass
class ListUpload:
    """multipart/form-data: ``kind`` (``cases``, ``areas`` or ``tests``) and ``file``."""

    kind: str
    file: UploadFile


class ListUploadOut(msgspec.Struct):
    import_id: int
    state: StateWord


class ListImportOut(msgspec.Struct):
    """An import's progress. Row counts are those of a finished import (``rows_processed`` counts
    up while it runs); ``error`` says why a refused file was refused, in the request's language."""

    import_id: int
    kind: str
    state: StateWord
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    cards_recoloured: int
    rows_processed: int
    error: str | None


def _import_out(upload: ListImport) -> ListImportOut:
    return ListImportOut(
        import_id=upload.id,
        kind=upload.kind,
        state=STATES.get(upload.status, "refused"),
        rows_total=upload.total_rows,
        rows_accepted=upload.accepted_rows,
        rows_rejected=upload.rejected_rows,
        cards_recoloured=upload.recoloured_cards,
        rows_processed=upload.processed_rows,
        error=ListImportService.error_message(upload),
    )


@post("/", status_code=202, request_max_body_size=MAX_FILE_BYTES + FORM_OVERHEAD, summary="Upload an authority list")
async def upload_list(
    data: MultipartBody[ListUpload], caller: StaffApiCaller, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> ListUploadOut:
    """``kind`` is ``cases``, ``areas`` or ``tests``; ``file`` a CSV or XLSX with the columns of the
    list desk's import. Queued: follow it with ``GET /api/v1/authority/lists/{import_id}``."""
    content = await data.file.read(MAX_FILE_BYTES + 1)
    await data.file.close()
    service = make_list_import_service(db, settings, clock)
    queued = await service.queue(caller.actor, data.kind[:20], data.file.filename, content)
    return ListUploadOut(queued.id, STATES[queued.status])


@get("/{import_id:int}", summary="Follow an authority list's import")
async def import_progress(
    import_id: RowId, caller: StaffApiCaller, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> ListImportOut:
    upload = await make_list_import_service(db, settings, clock).status(caller.principal, import_id)
    return _import_out(upload)


router = Router(
    path="/api/v1/authority/lists",
    route_handlers=[upload_list, import_progress],
    dependencies={"caller": staff_api_key(Scope.LISTS)},
    security=STAFF_API_SECURITY,
    tags=["staff API"],
)
