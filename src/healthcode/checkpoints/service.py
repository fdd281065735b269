"""Use cases of the checkpoint desk (SPEC §8), online mode.

A checkpoint account works at the one site it is bound to (``healthcode sites bind``). Every scan
and manual check is logged with site, staff, device and time, keeping masked data only.

Scanned codes are verified by the caller with the app's in-memory verifier (no database read for
the verification); this service only logs the outcome, without naming a card: the log is not a
record of where each person went. A valid code this platform issued carries a card reference only
it can open (:mod:`healthcode.domain.tokens.reference`), and a manual check finds the card by its
document (an audited read of personal data). Only when a temperature at or above :data:`FEVER_AT`
is recorded is the scan tied to that card: the fever reading is stored, audited
(``checkpoint.fever``) and recolours the card. Another region's code, or a code that is not valid
(expired, revoked: perhaps not the holder's), has no card here: its temperature stays on the scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from healthcode.audit.service import AuditedService
from healthcode.cards.service import card_by_document
from healthcode.colours.service import make_colour_service
from healthcode.db.models import Card, FeverRecord, Scan, Site, StaffAccount, StaffSite
from healthcode.domain.errors import Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.passage import FEVER_AT, MANUAL, Decision, PassException, check_decision, plainly_acceptable
from healthcode.domain.roles import Role
from healthcode.sessions.service import Principal
from healthcode.staff.service import StaffService

LOWEST_TEMPERATURE = 34.0
HIGHEST_TEMPERATURE = 43.0
DEVICE_CHARS = 200


@dataclass(frozen=True)
class Desk:
    """Who is working and where."""

    staff: StaffAccount
    site: Site


@dataclass(frozen=True)
class Scanned:
    """What a verifier said about one token, as the desk logs it (masked data only)."""

    reason: str
    colour: str | None
    masked_name: str | None
    masked_document: str | None
    issuer: str | None
    token_kind: str | None
    card_id: int | None = None
    """The card row, for a valid code of this platform (from its card reference); used only to
    record a fever, never stored with the scan otherwise."""


@dataclass(frozen=True)
class OfflineScan:
    """A scan a checkpoint device verified by itself while offline, as it uploads it later."""

    ref: str
    """The device's own id for the scan, so that an upload sent twice is recorded once."""
    scanned: Scanned
    at: datetime
    temperature: float | None
    decision: Decision | None
    exception: PassException | None = None


def parse_temperature(raw: str) -> float | None:
    """A body temperature in °C from a form field (``36.5``, ``36,5``); empty means not taken."""
    text = (raw or "").strip().replace(",", ".").replace("℃", "").replace("°C", "").strip()
    if not text:
        return None
    try:
        value = round(float(text), 1)
    except ValueError:
        value = -1.0
    if not LOWEST_TEMPERATURE <= value <= HIGHEST_TEMPERATURE:
        raise InvalidInput(
            "temperature_invalid",
            N_("Enter a body temperature between {low} and {high} °C, such as 36.5."),
            field="temperature",
            low=LOWEST_TEMPERATURE,
            high=HIGHEST_TEMPERATURE,
        )
    return value


def is_fever(temperature_raw: str) -> bool:
    """Whether a typed temperature is a valid reading at or above :data:`FEVER_AT`."""
    try:
        value = parse_temperature(temperature_raw)
    except InvalidInput:
        return False
    return value is not None and value >= FEVER_AT


def site_missing() -> Forbidden:
    return Forbidden(
        "checkpoint_site_missing",
        N_("This account is not bound to a checkpoint site. Ask an administrator to bind it to one."),
    )


class CheckpointService(AuditedService):
    """The desk. Every call checks the checkpoint role and the account's site."""

    async def desk(self, principal: Principal | None) -> Desk:
        staff = await StaffService(self.db, self.settings, self.clock).authorize(principal, Role.CHECKPOINT)
        site = await self.db.scalar(
            select(Site).join(StaffSite, StaffSite.site_id == Site.id).where(StaffSite.staff_id == staff.id)
        )
        if site is None:
            raise site_missing()
        return Desk(staff, site)

    async def log_scan(self, desk: Desk, scanned: Scanned, device: str, ref: str | None = None) -> Scan:
        """Log one scanned or typed code at the desk's site; ``ref`` is the page's id for the scan,
        and a scan already logged under it (the page posted twice, or its queue was uploaded at the
        same moment) is returned as it is."""
        site_id = desk.site.id
        earlier_query = select(Scan).where(Scan.device_ref == ref, Scan.site_id == site_id)
        if ref is not None and (earlier := await self.db.scalar(earlier_query)) is not None:
            return earlier
        scan = self._scan(desk, scanned, device, self.clock.now())
        scan.device_ref = ref
        self.db.add(scan)
        try:
            await self.db.commit()
        except IntegrityError:  # the upload of the same scan committed first
            await self.db.rollback()
            earlier = await self.db.scalar(earlier_query) if ref is not None else None
            if earlier is None:
                raise
            return earlier
        return scan

    def _scan(self, desk: Desk, scanned: Scanned, device: str, at: datetime) -> Scan:
        return Scan(
            site_id=desk.site.id,
            staff_id=desk.staff.id,
            device=device[:DEVICE_CHARS],
            at=at,
            reason=scanned.reason,
            colour=scanned.colour,
            issuer=scanned.issuer,
            masked_name=scanned.masked_name,
            masked_document=scanned.masked_document,
            token_kind=scanned.token_kind,
            manual=False,
        )

    async def record_offline(self, desk: Desk, uploads: list[OfflineScan], device: str) -> list[str]:
        """Log scans made offline at the desk's site, with their decisions and temperatures (a fever
        on a valid code of ours recolours the card, as online). Returns the refs recorded now. A ref
        logged before (the upload was sent twice, or the scan reached the server after all but the
        decision did not) is not logged again; the decision and temperature fill in what it lacks."""
        refs = [upload.ref for upload in uploads]
        known = {
            scan.device_ref: scan
            for scan in await self.db.scalars(
                select(Scan).where(Scan.device_ref.in_(refs), Scan.site_id == desk.site.id)
            )
        }
        recorded: list[str] = []
        for upload in uploads:
            scan = known.get(upload.ref)
            if scan is None:
                scan = self._scan(desk, upload.scanned, device, upload.at)
                scan.offline, scan.device_ref = True, upload.ref
                self.db.add(scan)
                await self.db.flush()
                known[upload.ref] = scan
                recorded.append(upload.ref)
            elif scan.decision is not None:
                continue
            if upload.temperature is not None and scan.temperature is None:
                scan.temperature = upload.temperature
                await self._fever(desk, scan, upload.scanned.card_id, upload.temperature, upload.at)
            if upload.decision:
                await self._record_decision(desk, scan, upload.decision, upload.exception, upload.at)
        await self.db.commit()
        return recorded

    async def manual_check(self, desk: Desk, type_raw: str, number_raw: str, temperature_raw: str, device: str) -> Scan:
        """The current colour of the card of a document (an audited read); a fever reading
        recolours the card first, so the answer is the colour after the reading."""
        temperature = parse_temperature(temperature_raw)
        _, card = await card_by_document(self.db, self.settings, self.clock, type_raw, number_raw)
        if card is None or card.status != "approved":
            raise NotFound(
                "checkpoint_card_not_found",
                N_("No health code has been issued for this document. Check the type and the number."),
                field="document_number",
            )
        now = self.clock.now()
        checked = Scanned(MANUAL, card.colour, card.masked_name, card.masked_document, self.settings.issuer, None)
        scan = self._scan(desk, checked, device, now)
        scan.card_id, scan.temperature, scan.manual = card.id, temperature, True
        self.db.add(scan)
        await self.db.flush()
        await self.audit.record(
            f"staff:{desk.staff.id}",
            "checkpoint.manual_check",
            f"card:{card.public_id}",
            site=desk.site.id,
            scan=scan.id,
        )
        await self._fever(desk, scan, card.id, temperature, now)
        await self.db.commit()
        return scan

    async def decide(
        self,
        desk: Desk,
        scan_id: int,
        decision_raw: str,
        temperature_raw: str,
        card_id: int | None = None,
        exception_raw: str = "",
    ) -> Scan:
        """Record the decision and the temperature on a scan of this site, by the rules of
        :func:`~healthcode.domain.passage.check_decision` (anything but a valid green code is let
        through only as an audited exception with its reason). ``card_id`` is the card of the
        scanned code (from its card reference), used only if the temperature is a fever."""
        scan = await self.db.get(Scan, scan_id)
        if scan is None or scan.site_id != desk.site.id:
            raise NotFound("scan_not_found", N_("No such scan at this site."))
        temperature = parse_temperature(temperature_raw)
        if temperature is None:
            temperature = scan.temperature
        decision, exception = check_decision(
            reason=scan.reason,
            colour=scan.colour,
            decision_raw=decision_raw,
            exception_raw=exception_raw,
            temperature=temperature,
            temperature_required=desk.site.temperature_required,
        )
        now = self.clock.now()
        if temperature is not None and temperature != scan.temperature:
            scan.temperature = temperature
            await self._fever(desk, scan, scan.card_id or card_id, temperature, now)
        await self._record_decision(desk, scan, decision, exception, now)
        await self.db.commit()
        return scan

    async def record_decided(
        self,
        desk: Desk,
        scanned: Scanned,
        at: datetime,
        temperature: float | None,
        decision_raw: str,
        exception_raw: str,
        device: str,
        ref: str | None = None,
    ) -> Scan:
        """Log a scan a device decided at once (the staff API's ``POST /checkpoint/scans``), by
        the desk's rules: the decision is checked first (:func:`check_decision`: allowing anything
        but a valid green code without a fever needs an exception's reason), so a refused one
        logs nothing; a fever reading on a valid code of ours recolours the card, as at the desk.
        ``ref`` is the device's own id for the scan: a scan sent again under it (the answer was
        lost) is returned as it was logged, not logged twice."""
        decision, exception = check_decision(
            reason=scanned.reason,
            colour=scanned.colour,
            decision_raw=decision_raw,
            exception_raw=exception_raw,
            temperature=temperature,
            temperature_required=desk.site.temperature_required,
        )
        earlier_query = select(Scan).where(Scan.device_ref == ref, Scan.site_id == desk.site.id)
        if ref is not None and (earlier := await self.db.scalar(earlier_query)) is not None:
            return earlier
        scan = self._scan(desk, scanned, device, at)
        scan.temperature, scan.device_ref = temperature, ref
        self.db.add(scan)
        try:
            await self.db.flush()
        except IntegrityError:  # the same scan sent again at the same moment was logged first
            await self.db.rollback()
            earlier = await self.db.scalar(earlier_query) if ref is not None else None
            if earlier is None:
                raise
            return earlier
        await self._fever(desk, scan, scanned.card_id, temperature, at)
        await self._record_decision(desk, scan, decision, exception, at)
        await self.db.commit()
        return scan

    async def _record_decision(
        self, desk: Desk, scan: Scan, decision: Decision, exception: PassException | None, at: datetime
    ) -> None:
        """Store a decision; letting through what is not a valid green code is audited, with the
        exception's reason (an offline device may send an allow without one: its verdict differed
        from the server's, and that is audited too)."""
        scan.decision, scan.decided_at = decision.value, at
        exceptional = decision is Decision.ALLOW and not plainly_acceptable(scan.reason, scan.colour, scan.temperature)
        scan.exception_reason = exception.value if exception and exceptional else None
        if exceptional:
            await self.audit.record(
                f"staff:{desk.staff.id}",
                "checkpoint.exception",
                f"scan:{scan.id}",
                site=desk.site.id,
                verdict=scan.reason,
                colour=scan.colour,
                exception=scan.exception_reason,
            )

    async def scans(self, desk: Desk, limit: int = 20) -> list[Scan]:
        """The latest scans at the desk's site, newest first."""
        return list(
            await self.db.scalars(
                select(Scan).where(Scan.site_id == desk.site.id).order_by(Scan.at.desc(), Scan.id.desc()).limit(limit)
            )
        )

    async def _fever(
        self, desk: Desk, scan: Scan, card_id: int | None, temperature: float | None, taken_at: datetime
    ) -> None:
        """A fever reading taken at ``taken_at``: tie the scan to the card, store the reading, audit
        it and recolour the card. Nothing for a normal temperature or an unknown card."""
        if card_id is None or temperature is None or temperature < FEVER_AT:
            return
        public_id = await self.db.scalar(select(Card.public_id).where(Card.id == card_id))
        if public_id is None:
            return
        scan.card_id = card_id
        self.db.add(FeverRecord(card_id=card_id, scan_id=scan.id, taken_at=taken_at, temperature=temperature))
        await self.db.flush()
        await self.audit.record(
            f"staff:{desk.staff.id}",
            "checkpoint.fever",
            f"card:{public_id}",
            site=desk.site.id,
            scan=scan.id,
            temperature=temperature,
        )
        await make_colour_service(self.db, self.settings, self.clock).recompute([card_id])
        scan.colour = await self.db.scalar(select(Card.colour).where(Card.id == card_id))
