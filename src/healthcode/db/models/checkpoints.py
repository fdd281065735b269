"""Checkpoint sites, the staff bound to them, every scan and manual check, and the temperatures
that count against a card (SPEC §8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class Site(Base):
    """A checkpoint (卡口): a gate, a station entrance, a shop door; ``region_code`` is GB/T 2260.
    Where ``temperature_required``, nobody is let through without a temperature taken."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))
    temperature_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class StaffSite(Base):
    """The site a checkpoint account works at: one site per account (binding again moves it)."""

    __tablename__ = "staff_sites"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    bound_at: Mapped[datetime]


class Scan(Base):
    """One code scanned (or typed) at a site, or one manual check by document (``manual``).

    Only masked data is kept. ``card_id`` is known for manual checks (an audited read) and for a
    fever recorded on a valid code this platform issued (from its card reference, also audited);
    other scans name no card, so the log is not a record of where each person went. ``reason`` is the
    verification word (``ok``, ``expired``, ...; ``manual`` for a manual check). ``decision``
    (``allow``/``deny``) and ``temperature`` are filled in by the official; ``exception_reason`` says
    why a person without a valid green code was let through anyway (an audited exception). ``offline`` scans were
    verified on the checkpoint's device while it had no network and uploaded later; ``at`` is when
    the device scanned. ``device_ref`` is the desk page's own id for the scan: a scan posted twice, or
    posted and then uploaded from the device's queue, is recorded once.
    """

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_site_at", "site_id", "at"), Index("ix_scans_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    device: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16))
    colour: Mapped[str | None] = mapped_column(String(8))
    issuer: Mapped[str | None] = mapped_column(String(32))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    masked_name: Mapped[str | None] = mapped_column(String(64))
    masked_document: Mapped[str | None] = mapped_column(String(32))
    token_kind: Mapped[str | None] = mapped_column(String(8))
    temperature: Mapped[float | None]
    decision: Mapped[str | None] = mapped_column(String(8))
    decided_at: Mapped[datetime | None]
    exception_reason: Mapped[str | None] = mapped_column(String(20))
    manual: Mapped[bool] = mapped_column(default=False)
    offline: Mapped[bool] = mapped_column(default=False, server_default=false())
    device_ref: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)


class FeverRecord(Base):
    """A temperature at or above the fever line taken at a checkpoint for a known card; the colour
    rules read these as :class:`~healthcode.domain.colours.FeverReading`."""

    __tablename__ = "fever_readings"
    __table_args__ = (Index("ix_fever_readings_card", "card_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"))
    taken_at: Mapped[datetime]
    temperature: Mapped[float]
