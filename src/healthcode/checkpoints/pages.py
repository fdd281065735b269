"""The checkpoint desk pages under ``/staff/checkpoint`` (SPEC §8).

The desk page keeps one big input focused: a keyboard-wedge scanner types the token and presses
Enter. With script, the page decides by itself at once (``token-verify.js``, WebCrypto, against the
trust and revocation lists ``checkpoint-lists.js`` keeps, checked against the key pinned when the
desk was set up) and tells the server in the background (``POST /staff/checkpoint/scan`` asking for
JSON): a server answer that differs replaces the verdict. Decisions and temperatures wait on the
device and go to ``POST /staff/checkpoint/offline-scans`` in batches, where each token is verified
again as of when it was scanned; a scan the server logged already (same ``ref``) gets its decision
there. One page serves the whole shift (``checkpoint-desk.js``). See docs/adr/0011 and 0017.

Without script the form posts, the server's verifier (the one behind ``POST /api/v1/verifications``,
in memory) answers with the result page, and the decision is posted from there.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Response, Template

from healthcode.checkpoints.service import (
    HIGHEST_TEMPERATURE,
    LOWEST_TEMPERATURE,
    CheckpointService,
    Desk,
    OfflineScan,
    Scanned,
    is_fever,
    parse_temperature,
)
from healthcode.codes.api import runtime
from healthcode.codes.keys import KeyService
from healthcode.codes.live import card_of_claims
from healthcode.codes.revocations import OFFLINE_SCAN_MAX_AGE, REVOCATION_LIST_PATH
from healthcode.codes.schemas import VerificationOut, verification_out
from healthcode.codes.trust import TRUST_LIST_PATH
from healthcode.codes.verification import VerificationResult
from healthcode.config import Settings
from healthcode.db.models import Scan
from healthcode.domain.colours import COLOUR_WORDS, Colour
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import DomainError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.passage import (
    FEVER_AT,
    MANUAL,
    VALID_REASONS,
    Decision,
    PassException,
    plainly_acceptable,
)
from healthcode.domain.roles import Role
from healthcode.domain.tokens import TokenKind, jwk_of
from healthcode.domain.tokens.format import MAX_TOKEN_CHARS
from healthcode.kit.assets import asset_bytes, asset_url
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk as BackOfficeDesk
from healthcode.kit.errors import translated
from healthcode.kit.forms import FormData, field_errors, text

DESK_PATH = "/staff/checkpoint"
DESK_FILES: tuple[str, ...] = (
    "site.css",
    "checkpoint.css",
    "checkpoint.js",
    "token-verify.js",
    "checkpoint-lists.js",
    "checkpoint-desk.js",
)
DESK_FILES += ("mongolian.css", "fonts/noto-sans-mongolian.woff2")  # the desk in Mongolian, offline too
DESK_ASSETS = [*map(asset_url, DESK_FILES), "/static/vendor/jsqr-1.4.0.min.js"]  # jsQR: loaded by name
SERVICE_WORKER = f"self.DESK_ASSETS = {json.dumps(DESK_ASSETS)};\n".encode() + asset_bytes("checkpoint-sw.js")
"""The desk's service worker, told which files (under their digest names) the desk needs offline."""

DESKS = [BackOfficeDesk(Role.CHECKPOINT, DESK_PATH, N_("Checkpoint: scan codes"))]

# Why a code is not acceptable, in words the official can say to the person.
REASON_TEXTS = {
    "ok": N_("Valid code"),
    "expired": N_("Expired: this code is out of date. Ask the person to open the code again."),
    "not_yet_valid": N_("Not yet valid: the code is from the future. Check the time on the phone."),
    "bad_signature": N_("Bad signature: this code was altered or forged. Do not accept it."),
    "unknown_issuer": N_("Unknown issuer: this code comes from an issuer we do not trust."),
    "revoked": N_("Revoked: this code has been withdrawn. Do not accept it."),
    "malformed": N_("Not a health code: the scan could not be read. Scan again or type the code."),
    MANUAL: N_("Manual check by document"),
}
# What a valid code that is not green means at the gate (the verdict's line under the colour).
COLOUR_ADVICE = {
    "yellow": N_("Yellow code: the person may not pass as usual. Refuse, or let through as an exception."),
    "red": N_("Red code: the person may not pass. Refuse, or let through as an exception."),
    "": N_("No health code: this person has made no health declaration yet. Refuse, or let through as an exception."),
}
# The same, in a few words for the scan log.
LOG_REASONS = {
    "ok": N_("Valid code"),
    "expired": N_("Expired code"),
    "not_yet_valid": N_("Code not yet valid"),
    "bad_signature": N_("Altered or forged code"),
    "unknown_issuer": N_("Code of an untrusted issuer"),
    "revoked": N_("Revoked code"),
    "malformed": N_("Not a health code"),
    MANUAL: N_("Manual check by document"),
}
TOKEN_KINDS = {TokenKind.LIVE: "live", TokenKind.PAPER: "paper"}
NOTICES = {
    "allow": N_("Allowed. Ready for the next person."),
    "deny": N_("Refused. Ready for the next person."),
    "exception": N_("Let through as an exception; recorded. Ready for the next person."),
}
OFFLINE_UPLOAD_MAX = 100
OFFLINE_CLOCK_AHEAD = timedelta(minutes=5)
_DEVICE_REF = re.compile(r"[A-Za-z0-9-]{8,64}")
# What the page's script says, in the page's language (it decides on the device by itself).
SCRIPT_TEXTS = {
    "ready": N_("Codes are checked on this device: keys and revocations from {time} ({minutes} min ago)."),
    "offline": N_(
        "No network: codes are checked on this device with keys and revocations from {time} ({minutes} min ago)."
    ),
    "stale": N_("The keys and revocations on this device are {hours} hours old. Connect to the network soon."),
    "none": N_("No network and no keys on this device yet: connect once so that codes can be checked offline."),
    "unsupported": N_("This browser cannot check codes offline. Use a current Chrome, Edge, Firefox or Safari."),
    "refused_trust": N_(
        "The list of keys from the server failed the check against the key pinned when this desk was set up,"
        " and was not taken."
    ),
    "refused_revocations": N_(
        "The list of revocations from the server failed the check against the keys of this desk, and was not taken."
    ),
    "kept": N_("This desk keeps the lists from {time}."),
    "none_kept": N_("This desk has no lists it can trust: sign out and sign in again to set it up."),
    "waiting": N_("{count} scans made offline are waiting to be sent."),
    "signed_out": N_("Your sign-in has ended: sign in again on this device to send them."),
    "sent": N_("{count} scans made offline were sent."),
    "rejected": N_("{count} scans made offline could not be recorded: {reason}"),
    "checked_here": N_("Checked on this device with keys and revocations from {time}; the server is told."),
    "server_replaced": N_(
        "The server answered differently from this device (its lists are newer): this is the server's verdict."
    ),
    "server_late": N_(
        "The server's answer for {name} came after the decision and differs: {verdict}. {reason}"
        " If the person is still here, check them again."
    ),
    "not_acceptable": N_("Not acceptable"),
    "claims": N_("The code claims: {colour}"),
    "temperature_invalid": N_("Enter a body temperature between {low} and {high} °C, such as 36.5."),
    "temperature_required": N_("This site takes everyone's temperature: enter it before letting the person through."),
    "exception_required": N_("This is not a valid green code: refuse, or choose why the person is let through anyway."),
    "no_colour": N_("No colour"),
    "allowed": N_("Allowed"),
    "refused": N_("Refused"),
    "exception": N_("Let through as an exception: {reason}"),
    "undecided": N_("No decision recorded"),
    "checked_offline": N_("checked offline"),
}
LOG_LENGTH = 20
"""Scans the desk's log shows (the page keeps it at this length through the shift)."""


def device_of(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("user-agent", "")


def result_page(
    desk: Desk,
    scan: Scan,
    *,
    token: str = "",
    errors: dict[str, str] | None = None,
    typed: str = "",
    status: int = 200,
) -> Template:
    """The full-screen verdict. ``token`` goes back with the decision of a valid code, so that a fever
    can be tied to its card then (and only then). Only a valid green code offers Allow first (and
    on Enter); anything else offers Refuse first, and letting through is a separate step with a
    reason (``typed`` is the temperature typed before an error, shown again)."""
    acceptable = scan.reason in VALID_REASONS and scan.colour is not None
    colour = Colour(scan.colour) if scan.colour in {c.value for c in Colour} else None
    try:
        temperature = parse_temperature(typed) if typed else scan.temperature
    except InvalidInput:
        temperature = scan.temperature
    return Template(
        template_name="checkpoints/result.html",
        context={
            "scan": scan,
            "acceptable": acceptable,
            "passes": plainly_acceptable(scan.reason, scan.colour, temperature),
            "exceptions": list(PassException),
            "colour_word": COLOUR_WORDS[colour] if colour else None,
            "reason_text": REASON_TEXTS.get(scan.reason, REASON_TEXTS["malformed"]),
            "advice": COLOUR_ADVICE.get(scan.colour or "") if scan.reason in VALID_REASONS else None,
            "last_four": (scan.masked_document or "")[-4:],
            "errors": errors or {},
            "typed": typed,
            "temperature_required": desk.site.temperature_required,
            "token": token.strip() if scan.reason == "ok" else "",
        },
        status_code=status,
    )


async def pinned_keys(service: CheckpointService) -> dict[str, Any]:
    """What a desk pins when it is set up (its first page after signing in): this issuer and the
    public keys of its trust list; later lists must be signed by a key the desk holds."""
    keys = await KeyService(service.db, service.settings, service.clock).own_verifying_keys()
    return {"issuer": service.settings.issuer, "keys": [jwk_of(key) for key in keys]}


async def desk_page(
    service: CheckpointService,
    desk: Desk,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return Template(
        template_name="checkpoints/desk.html",
        context={
            "desk": desk,
            "scans": await service.scans(desk, LOG_LENGTH),
            "reason_texts": REASON_TEXTS,
            "log_reasons": LOG_REASONS,
            "exception_labels": {reason.value: reason.label for reason in PassException},
            "document_types": list(DocumentType),
            "notice": NOTICES.get(notice or ""),
            "errors": errors or {},
            "form": form or {},
            "max_token": MAX_TOKEN_CHARS,
            "script_texts": SCRIPT_TEXTS,
            "notices": NOTICES,
            "log_length": LOG_LENGTH,
            "pin": await pinned_keys(service),
            "time_zone": service.settings.timezone,
            "colour_advice": COLOUR_ADVICE,
            "temperature_range": (LOWEST_TEMPERATURE, HIGHEST_TEMPERATURE),
            "fever_at": FEVER_AT,
            "exceptions": list(PassException),
            "offline_urls": {
                "trust": TRUST_LIST_PATH,
                "revocations": REVOCATION_LIST_PATH,
                "upload": f"{DESK_PATH}/offline-scans",
                "desk": DESK_PATH,
                "worker": f"{DESK_PATH}/sw.js",
            },
        },
        status_code=status,
    )


@get("/", name="checkpoint_desk")
async def desk(
    staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep, done: FromQuery[str] = ""
) -> Template:
    service = CheckpointService(db, settings, clock)
    return await desk_page(service, await service.desk(staff_or_none), notice=done)


class ScanOut(msgspec.Struct):
    """What the desk's script learns when it tells the server of a scan it decided by itself: the
    logged scan and the server's verification (API.md's answer of ``POST /checkpoint/scans``)."""

    scan_id: int
    verification: VerificationOut


@post("/scan")
async def scan(
    request: Request[Any, Any, Any],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Response[ScanOut]:
    """Log a scan and answer with the result page, or with JSON (:class:`ScanOut`) when the desk's
    script asks for it (``Accept: application/json``)."""
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    token = text(data, "token", MAX_TOKEN_CHARS + 10)
    result = await runtime(request).verifier.verify(token)
    ref = text(data, "ref", 64)
    logged = await service.log_scan(
        here, scanned_of(settings, result), device_of(request), ref if _DEVICE_REF.fullmatch(ref) else None
    )
    if "application/json" in request.headers.get("accept", ""):
        return Response(ScanOut(logged.id, verification_out(result)))
    return result_page(here, logged, token=token)


def scanned_of(settings: Settings, result: VerificationResult) -> Scanned:
    """What the desk logs of a verification: masked data, and for a valid code of ours its card
    (kept in memory for a fever reading, not logged)."""
    claims = result.claims if result.reason == "ok" else None
    return Scanned(
        reason=result.reason,
        colour=result.colour,
        masked_name=result.masked_name,
        masked_document=result.masked_document,
        issuer=result.issuer,
        token_kind=TOKEN_KINDS[result.claims.kind] if result.claims else None,
        card_id=card_of_claims(settings, claims),
    )


async def card_of_scanned_token(
    request: Request[Any, Any, Any], settings: Settings, scan: Scan, token: str
) -> int | None:
    """The card of the code a scan logged, from the token the result page sent back with the
    decision: verified again as of the scan, and it must be the code that scan logged."""
    result = await runtime(request).verifier.verify(token, scan.at)
    same = (result.masked_name, result.masked_document, result.issuer) == (
        scan.masked_name,
        scan.masked_document,
        scan.issuer,
    )
    return scanned_of(settings, result).card_id if same and scan.reason == "ok" else None


class OfflineScanIn(msgspec.Struct):
    """One scan the page made offline: its own id, the token, when (epoch seconds), and what the
    official entered (temperature as typed, decision ``allow``/``deny`` or empty, and the exception's
    reason when a code that is not a valid green one was let through)."""

    ref: str
    token: str
    scanned_at: int
    staff: int
    """The staff account that scanned: a device's queue is only sent by that account."""
    temperature: str = ""
    decision: str = ""
    exception_reason: str = ""


class OfflineUploadIn(msgspec.Struct):
    scans: list[OfflineScanIn]


class RejectedScan(msgspec.Struct):
    ref: str
    code: str
    message: str


class OfflineUploadOut(msgspec.Struct):
    """Refs recorded now, refs an earlier upload recorded, and refs refused with why: the page
    forgets all three."""

    recorded: list[str]
    duplicates: list[str]
    rejected: list[RejectedScan]


def _offline_problem(item: OfflineScanIn, desk: Desk, now: datetime) -> DomainError | None:
    at = datetime.fromtimestamp(item.scanned_at, UTC) if 0 < item.scanned_at < 2**33 else None
    if not _DEVICE_REF.fullmatch(item.ref):
        return InvalidInput("offline_ref_invalid", N_("The scan has no valid id from the device."), field="ref")
    if item.staff != desk.staff.id:
        return InvalidInput(
            "offline_other_account", N_("This scan was made by another staff account on this device."), field="staff"
        )
    if at is None or not now - OFFLINE_SCAN_MAX_AGE <= at <= now + OFFLINE_CLOCK_AHEAD:
        return InvalidInput(
            "offline_time_invalid",
            N_("The scan's time is wrong: older than 7 days, or the device's clock is ahead."),
            field="scanned_at",
        )
    if item.decision not in ("", *Decision):
        return InvalidInput("decision_invalid", N_("Choose Allow or Refuse."), field="decision")
    if item.exception_reason not in ("", *PassException):
        return InvalidInput("exception_reason_invalid", N_("Choose a reason from the list."), field="exception_reason")
    try:
        parse_temperature(item.temperature)
    except InvalidInput as exc:
        return exc
    return None


@post("/offline-scans", request_max_body_size=OFFLINE_UPLOAD_MAX * (MAX_TOKEN_CHARS + 200))
async def offline_scans(
    request: Request[Any, Any, Any],
    data: JSONBody[OfflineUploadIn],
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> OfflineUploadOut:
    """Scans made while the page had no network: each token is verified again as of its scan time
    (with today's revocations) and logged as an offline scan of this desk. At most 100 a call."""
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    if len(data.scans) > OFFLINE_UPLOAD_MAX:
        raise InvalidInput(
            "offline_upload_too_large", N_("Send at most {limit} scans at a time."), limit=OFFLINE_UPLOAD_MAX
        )
    verifier = runtime(request).verifier
    now = clock.now()
    uploads: list[OfflineScan] = []
    rejected: list[RejectedScan] = []
    for item in data.scans:
        problem = _offline_problem(item, here, now)
        if problem is not None:
            rejected.append(RejectedScan(item.ref[:64], problem.code, translated(problem)))
            continue
        at = datetime.fromtimestamp(item.scanned_at, UTC)
        result = await verifier.verify(item.token[: MAX_TOKEN_CHARS + 10], at)
        uploads.append(
            OfflineScan(
                ref=item.ref,
                scanned=scanned_of(settings, result),
                at=at,
                temperature=parse_temperature(item.temperature),
                decision=Decision(item.decision) if item.decision else None,
                exception=PassException(item.exception_reason) if item.exception_reason else None,
            )
        )
    recorded = await service.record_offline(here, uploads, device_of(request))
    duplicates = [upload.ref for upload in uploads if upload.ref not in set(recorded)]
    return OfflineUploadOut(recorded=recorded, duplicates=duplicates, rejected=rejected)


@post("/manual")
async def manual(
    request: Request[Any, Any, Any],
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template:
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    form = {name: text(data, name, 40) for name in ("document_type", "document_number", "temperature")}
    try:
        checked = await service.manual_check(
            here, form["document_type"], form["document_number"], form["temperature"], device_of(request)
        )
    except (InvalidInput, NotFound) as exc:
        await db.rollback()  # expires what the session held: read the desk again
        return await desk_page(
            service, await service.desk(staff_or_none), errors=field_errors(exc), form=form, status=422
        )
    return result_page(here, checked)


@post("/scans/{scan_id:int}/decision")
async def decision(
    request: Request[Any, Any, Any],
    scan_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = CheckpointService(db, settings, clock)
    here = await service.desk(staff_or_none)
    chosen = text(data, "decision", 10)
    token = text(data, "token", MAX_TOKEN_CHARS + 10)
    scanned = await db.get(Scan, scan_id)
    temperature = text(data, "temperature", 20)
    card_id = None
    if scanned is not None and token and is_fever(temperature):  # the card matters only for a fever
        card_id = await card_of_scanned_token(request, settings, scanned, token)
    try:
        decided = await service.decide(here, scan_id, chosen, temperature, card_id, text(data, "exception_reason", 20))
    except InvalidInput as exc:
        await db.rollback()  # expires what the session held: read the desk and the scan again
        found = await db.get(Scan, scan_id)
        if found is None:
            raise
        return result_page(
            await service.desk(staff_or_none),
            found,
            token=token,
            errors=field_errors(exc),
            typed=temperature,
            status=422,
        )
    done = "exception" if decided.exception_reason else decided.decision
    return Redirect(f"{DESK_PATH}?done={done}", status_code=303)


@get("/sw.js", exclude_from_csrf=True)
async def service_worker() -> Response[bytes]:
    """The desk's service worker, served under the desk so that it may control it."""
    return Response(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": DESK_PATH},
    )


router = Router(
    path=DESK_PATH,
    route_handlers=[desk, scan, manual, decision, offline_scans, service_worker],
    include_in_schema=False,
)
