"""The certificate clerks' desk under ``/staff/certificates`` (SPEC §9).

The lookup form posts the document (so its number never sits in a URL, a log or the history) and
redirects to ``/staff/certificates?card=…``, which shows the masked person and their certificates.
Issuing and reprinting answer the PDF as a download; revoking returns to the person.
"""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from healthcode.certificates.pdf import PAPER_SIZES_MM
from healthcode.certificates.service import EXPIRED, REPLACED, REVOKED, VALID, CertificateService, IssuedCertificate
from healthcode.domain.documents import DocumentType
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.kit.deps import ClockDep, DbSession, RowId, SettingsDep, StaffOrNone
from healthcode.kit.desks import Desk
from healthcode.kit.errors import translated
from healthcode.kit.forms import FormData, field_errors, text

DESK_PATH = "/staff/certificates"

DESKS = [Desk(Role.CLERK, DESK_PATH, N_("Paper certificates"))]

STATUS_LABELS = {
    VALID: N_("Valid"),
    EXPIRED: N_("Expired"),
    REVOKED: N_("Revoked"),
    REPLACED: N_("Replaced by a reprint"),
}
NOTICES = {
    "revoked": N_("The certificate is revoked. Checkpoints refuse it within minutes."),
    "declared": N_("The declaration is kept and the health code made from it. Print the certificate now."),
}


def _desk_page(
    *,
    person: object | None = None,
    errors: dict[str, str] | None = None,
    document_type: str = DocumentType.RESIDENT_ID.value,
    document_number: str = "",
    notice: str | None = None,
    offer_registration: bool = False,
    status: int = 200,
) -> Template:
    """``offer_registration``: the document looked up has no card; the clerk may register the
    person as a walk-in (the typed document goes along by POST)."""
    return Template(
        template_name="certificates/desk.html",
        context={
            "offer_registration": offer_registration,
            "person": person,
            "errors": errors or {},
            "document_types": [(t.value, t.label) for t in DocumentType],
            "document_type": document_type,
            "document_number": document_number,
            "status_labels": STATUS_LABELS,
            "papers": list(PAPER_SIZES_MM),
            "notice": notice,
        },
        status_code=status,
    )


def _pdf(issued: IssuedCertificate) -> Response[bytes]:
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{issued.filename}"'},
    )


def _to_person(card_id: str, done: str | None = None) -> Redirect:
    query = {"card": card_id, **({"done": done} if done else {})}
    return Redirect(f"{DESK_PATH}?{urlencode(query)}", status_code=303)


@get("/", name="certificate_desk")
async def desk(
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
    card: FromQuery[str] = "",
    done: FromQuery[str] = "",
) -> Template:
    service = CertificateService(db, settings, clock)
    if not card:
        await service.authorize(staff_or_none)
        return _desk_page()
    return _desk_page(person=await service.person(staff_or_none, card), notice=NOTICES.get(done))


@post("/find")
async def find(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Template | Redirect:
    document_type, number = text(data, "document_type", 40), text(data, "document_number", 40)
    try:
        person = await CertificateService(db, settings, clock).find(staff_or_none, document_type, number)
    except (InvalidInput, NotFound) as exc:
        return _desk_page(
            errors=field_errors(exc),
            document_type=document_type,
            document_number=number,
            offer_registration=exc.code == "certificate_person_not_found",
            status=422,
        )
    return _to_person(person.card_id)


@post("/")
async def issue(
    data: FormData, staff_or_none: StaffOrNone, db: DbSession, settings: SettingsDep, clock: ClockDep
) -> Response[bytes]:
    service = CertificateService(db, settings, clock)
    issued = await service.issue(staff_or_none, text(data, "card", 64), text(data, "paper", 4) or "A4")
    return _pdf(issued)


@post("/{certificate_id:int}/reprint")
async def reprint(
    certificate_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response[bytes]:
    service = CertificateService(db, settings, clock)
    return _pdf(await service.reprint(staff_or_none, certificate_id, text(data, "paper", 4) or "A4"))


@post("/{certificate_id:int}/revoke")
async def revoke(
    certificate_id: RowId,
    data: FormData,
    staff_or_none: StaffOrNone,
    db: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> Template | Redirect:
    service = CertificateService(db, settings, clock)
    try:
        certificate = await service.revoke(staff_or_none, certificate_id, text(data, "reason", 400))
    except InvalidInput as exc:
        person = await service.person(staff_or_none, await service.card_of(certificate_id))
        # the message goes beside the reason field of that certificate
        errors = {f"reason-{certificate_id}" if exc.field == "reason" else "_form": translated(exc)}
        return _desk_page(person=person, errors=errors, status=422)
    return _to_person(await service.card_of(certificate.id), "revoked")


router = Router(path=DESK_PATH, route_handlers=[desk, find, issue, reprint, revoke], include_in_schema=False)
