"""The staff API of checkpoint devices (API.md "Staff API"): ``POST /api/v1/checkpoint/scans``.

A scanner device records a scan it decided, with the temperature taken, at the site its key's
account is bound to, by the desk's rules: the token is verified as of ``scanned_at`` by the app's
verifier (as an offline desk's upload is), and allowing anything but a valid green code without a
fever needs ``exception_reason`` (else 422 ``exception_reason_required``, nothing logged). A
device's own ``ref`` for the scan (kept under its key's id) makes sending it again safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, post
from litestar.params import JSONBody

from healthcode.apikeys.api import STAFF_API_SECURITY, StaffApiCaller, staff_api_key
from healthcode.checkpoints.pages import OFFLINE_CLOCK_AHEAD, ScanOut, scanned_of
from healthcode.checkpoints.service import CheckpointService, parse_temperature
from healthcode.codes.api import runtime
from healthcode.codes.revocations import OFFLINE_SCAN_MAX_AGE
from healthcode.codes.schemas import verification_out
from healthcode.domain.api_keys import Scope
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.format import MAX_TOKEN_CHARS
from healthcode.kit.deps import ClockDep, DbSession, SettingsDep

REF_PATTERN = "^[A-Za-z0-9-]{8,48}$"


class ScanIn(msgspec.Struct):
    """A scan as a device decided it: the token read, the temperature taken (°C, or null when none
    was), ``allow`` or ``deny``, and when (with its zone). ``exception_reason`` (``fever_clinic``,
    ``escorted``, ``emergency``, ``authorised``) is the deliberate step that lets through a code
    that is not a valid green one."""

    token: Annotated[str, msgspec.Meta(max_length=MAX_TOKEN_CHARS + 10)]
    temperature: float | None
    decision: str
    scanned_at: Annotated[datetime, msgspec.Meta(tz=True)]
    exception_reason: str = ""
    ref: Annotated[str, msgspec.Meta(pattern=REF_PATTERN)] | None = None
    """The device's own id for the scan (8-48 letters, digits or dashes): sent again under the same
    ref, the scan is answered as logged the first time, not logged twice."""


@post("/", status_code=201, summary="Record a checkpoint scan with temperature and decision")
async def record_scan(
    request: Request[Any, Any, Any],
    data: JSONBody[ScanIn],
    caller: StaffApiCaller,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> ScanOut:
    service = CheckpointService(db, settings, clock)
    desk = await service.desk(caller.principal)
    now = clock.now()
    if not now - OFFLINE_SCAN_MAX_AGE <= data.scanned_at <= now + OFFLINE_CLOCK_AHEAD:
        raise InvalidInput(
            "scanned_at_invalid",
            N_("The scan's time is wrong: older than 7 days, or the device's clock is ahead."),
            field="scanned_at",
        )
    temperature = parse_temperature("" if data.temperature is None else str(data.temperature))
    result = await runtime(request).verifier.verify(data.token, data.scanned_at)
    scan = await service.record_decided(
        desk,
        scanned_of(settings, result),
        data.scanned_at,
        temperature,
        data.decision,
        data.exception_reason,
        f"api key {caller.key.key_id}",
        f"api-{caller.key.key_id}-{data.ref}" if data.ref else None,
    )
    return ScanOut(scan.id, verification_out(result))


router = Router(
    path="/api/v1/checkpoint/scans",
    route_handlers=[record_scan],
    dependencies={"caller": staff_api_key(Scope.CHECKPOINT)},
    security=STAFF_API_SECURITY,
    tags=["staff API"],
)
