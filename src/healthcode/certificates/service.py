"""Use cases of the certificate clerks' desk (SPEC §9): find a person by document, issue, reprint
and revoke paper certificates. Every call checks the clerk role; every lookup, issue, reprint and
revocation is recorded in the audit trail (``certificates.*``).

A certificate carries a PAPER token valid until ``HEALTHCODE_PAPER_VALID_DAYS`` after issue, with the
card's colour at that moment. Revoking inserts the token id into ``revoked_tokens`` in the same
transaction, so every checkpoint refuses it once its verifier refreshes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from healthcode.audit.service import AuditedService
from healthcode.cards.service import card_by_document, existing_card
from healthcode.certificates.pdf import PAPER_SIZES_MM, CertificateContent, render_certificate
from healthcode.codes.keys import KeyService
from healthcode.codes.live import card_claims
from healthcode.codes.revocations import RevocationService
from healthcode.db.models import Card, PaperCertificate, StaffAccount
from healthcode.domain.documents import DocumentType, parse_document_type
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.roles import Role
from healthcode.domain.tokens import TokenKind, issue_token
from healthcode.i18n import translate
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

VALID, EXPIRED, REVOKED, REPLACED = "valid", "expired", "revoked", "replaced"
REPRINTED_REASON = "reprinted"


@dataclass(frozen=True)
class CertificateRow:
    """One certificate as the desk lists it."""

    id: int
    serial: str
    colour: str | None
    issued_at: datetime
    valid_until: datetime
    issued_by: str
    status: str
    revoke_reason: str | None


@dataclass(frozen=True)
class Person:
    """A card found by document, masked, with its certificates (newest first)."""

    card_id: str
    document_type: DocumentType
    masked_name: str
    masked_document: str
    colour: str | None
    approved: bool
    certificates: list[CertificateRow]


@dataclass(frozen=True)
class IssuedCertificate:
    record: PaperCertificate
    token: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"health-certificate-{self.record.token_id}.pdf"


def person_not_found() -> NotFound:
    return NotFound(
        "certificate_person_not_found",
        N_("No health card is held for this document. Register the person below, or they apply on a phone."),
        field="document_number",
    )


def certificate_not_found() -> NotFound:
    return NotFound("certificate_not_found", N_("No such certificate."))


class CertificateService(AuditedService):
    """The clerks' desk; ``actor`` in the audit trail is ``staff:{id}``."""

    async def authorize(self, principal: Principal | None) -> StaffAccount:
        """The signed-in clerk; 401 without a staff sign-in, 403 without the clerk role."""
        return await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.CLERK)

    # --- finding a person --------------------------------------------------------------------------

    async def find(self, principal: Principal | None, document_type_raw: str, number_raw: str) -> Person:
        """The card of a document; the lookup is audited (the number itself is not recorded)."""
        staff = await self.authorize(principal)
        if not number_raw.strip():
            parse_document_type(document_type_raw)
            raise InvalidInput("document_required", N_("Enter the document number."), field="document_number")
        document_type, card = await card_by_document(self.db, self.settings, self.clock, document_type_raw, number_raw)
        await self.audit.record(
            f"staff:{staff.id}",
            "certificates.lookup",
            f"card:{card.public_id}" if card else "",
            document_type=document_type.value,
            found=card is not None,
        )
        await self.db.commit()
        if card is None:
            raise person_not_found()
        return await self._person(card)

    async def person(self, principal: Principal | None, public_id: str) -> Person:
        """A card by its public ID (the desk after a lookup); audited like a lookup."""
        staff = await self.authorize(principal)
        card = await existing_card(self.db, public_id)
        await self.audit.record(f"staff:{staff.id}", "certificates.view", f"card:{card.public_id}")
        await self.db.commit()
        return await self._person(card)

    async def _person(self, card: Card) -> Person:
        rows = await self.db.scalars(
            select(PaperCertificate)
            .where(PaperCertificate.card_id == card.id)
            .order_by(PaperCertificate.issued_at.desc(), PaperCertificate.id.desc())
        )
        now = self.clock.now()
        return Person(
            card_id=card.public_id,
            document_type=DocumentType(card.document_type),
            masked_name=card.masked_name,
            masked_document=card.masked_document,
            colour=card.colour,
            approved=card.status == "approved",
            certificates=[
                CertificateRow(
                    id=row.id,
                    serial=row.token_id,
                    colour=row.colour,
                    issued_at=row.issued_at,
                    valid_until=row.valid_until,
                    issued_by=row.issued_by,
                    status=_status(row, now),
                    revoke_reason=row.revoke_reason,
                )
                for row in rows
            ],
        )

    # --- issuing, reprinting, revoking --------------------------------------------------------------

    async def issue(self, principal: Principal | None, public_id: str, paper: str = "A4") -> IssuedCertificate:
        """A new certificate for an approved card: the row, its token and the PDF on ``paper``
        (A4 or A5). Commits."""
        staff = await self.authorize(principal)
        check_paper(paper)
        card = await existing_card(self.db, public_id)
        issued = await self._issue(staff, card, reprint_of=None, paper=paper)
        await self.audit.record(
            f"staff:{staff.id}",
            "certificates.issue",
            f"card:{card.public_id}",
            token=issued.record.token_id,
            colour=issued.record.colour,
            valid_until=issued.record.valid_until,
        )
        await self.db.commit()
        return issued

    async def reprint(self, principal: Principal | None, certificate_id: int, paper: str = "A4") -> IssuedCertificate:
        """A new certificate (new token id) replacing a valid one, which is revoked. Commits."""
        staff = await self.authorize(principal)
        check_paper(paper)
        earlier = await self._certificate(certificate_id)
        if earlier.revoked:
            raise Conflict(
                "certificate_revoked", N_("This certificate is revoked; issue a new one instead."), field="certificate"
            )
        card = await self.db.get_one(Card, earlier.card_id)
        await self._revoke(staff, earlier, REPRINTED_REASON)
        issued = await self._issue(staff, card, reprint_of=earlier.id, paper=paper)
        await self.audit.record(
            f"staff:{staff.id}",
            "certificates.reprint",
            f"card:{card.public_id}",
            token=issued.record.token_id,
            replaces=earlier.token_id,
            colour=issued.record.colour,
            valid_until=issued.record.valid_until,
        )
        await self.db.commit()
        return issued

    async def revoke(self, principal: Principal | None, certificate_id: int, reason: str) -> PaperCertificate:
        """Revoke a certificate with a reason; revoking it again changes nothing. Commits."""
        staff = await self.authorize(principal)
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidInput("revoke_reason_required", N_("Give the reason for revoking."), field="reason")
        certificate = await self._certificate(certificate_id)
        if certificate.revoked:
            return certificate
        card = await self.db.get_one(Card, certificate.card_id)
        await self._revoke(staff, certificate, reason)
        await self.audit.record(
            f"staff:{staff.id}",
            "certificates.revoke",
            f"card:{card.public_id}",
            token=certificate.token_id,
            reason=certificate.revoke_reason,
        )
        await self.db.commit()
        return certificate

    async def card_of(self, certificate_id: int) -> str:
        """The public ID of the card a certificate is for."""
        found = await self.db.scalar(
            select(Card.public_id)
            .join(PaperCertificate, PaperCertificate.card_id == Card.id)
            .where(PaperCertificate.id == certificate_id)
        )
        if found is None:
            raise certificate_not_found()
        return found

    async def _certificate(self, certificate_id: int) -> PaperCertificate:
        found = await self.db.get(PaperCertificate, certificate_id, with_for_update=True)
        if found is None:
            raise certificate_not_found()
        return found

    async def _revoke(self, staff: StaffAccount, certificate: PaperCertificate, reason: str) -> None:
        revocation = await RevocationService(self.db, self.settings, self.clock).add(
            bytes.fromhex(certificate.token_id),
            TokenKind.PAPER,
            reason,
            f"staff:{staff.id}",
            expires_at=certificate.valid_until,
        )
        certificate.revoked = True
        certificate.revoked_at = revocation.revoked_at
        certificate.revoke_reason = revocation.reason

    async def _issue(self, staff: StaffAccount, card: Card, *, reprint_of: int | None, paper: str) -> IssuedCertificate:
        if card.status != "approved":
            raise Conflict(
                "card_not_approved",
                N_("This card is not issued yet: a certificate can be printed once the real-name check has passed."),
                field="card_id",
            )
        if card.colour is None:
            raise Conflict(
                "declaration_required",
                N_("This person has made no health declaration yet: the certificate's colour comes from one."),
                field="card_id",
            )
        key = await KeyService(self.db, self.settings, self.clock).signing_key()
        now = int(self.clock.now().timestamp())
        expires = now + self.settings.paper_valid_days * 86400
        claims = card_claims(
            self.settings, card.id, card.colour, card.masked_name, card.masked_document, TokenKind.PAPER, now, expires
        )
        token = issue_token(claims, key)
        record = PaperCertificate(
            token_id=claims.token_id.hex(),
            card_id=card.id,
            colour=card.colour,
            issued_by=f"staff:{staff.id}",
            issued_at=datetime.fromtimestamp(now, UTC),
            valid_until=datetime.fromtimestamp(expires, UTC),
            reprint_of=reprint_of,
            revoked=False,
        )
        self.db.add(record)
        await self.db.flush()
        zone = ZoneInfo(self.settings.timezone)
        content = CertificateContent(
            masked_name=card.masked_name,
            masked_document=card.masked_document,
            document_label=translate(DocumentType(card.document_type).label, "zh_CN"),
            colour=card.colour,
            issued_at=record.issued_at.astimezone(zone),
            valid_until=record.valid_until.astimezone(zone),
            issuer_name=staff.display_name,
            region_name=self.settings.region_name,
            hotlines=list(self.settings.hotlines),
            token=token,
            serial=record.token_id,
        )
        pdf = await asyncio.to_thread(render_certificate, content, paper)
        return IssuedCertificate(record, token, pdf)


def check_paper(paper: str) -> None:
    """Refuse a paper size the certificate is not laid out for."""
    if paper not in PAPER_SIZES_MM:
        raise InvalidInput("paper_size_invalid", N_("Choose A4 or A5 paper."), field="paper")


def _status(row: PaperCertificate, now: datetime) -> str:
    if row.revoked:
        return REPLACED if row.revoke_reason == REPRINTED_REASON else REVOKED
    return VALID if now < row.valid_until else EXPIRED
