"""Residents' phone logins and the SMS codes sent to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class Resident(Base):
    """A resident's login: one per mainland mobile number. Cards hang off it (later issues)."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class SmsChallenge(Base):
    """One login code sent to one number: its keyed hash, expiry and wrong tries.

    The rows double as the send log the limits count (per number per day, per address per hour).
    """

    __tablename__ = "sms_challenges"
    __table_args__ = (
        Index("ix_sms_challenges_phone_sent", "phone", "sent_at"),
        Index("ix_sms_challenges_ip_sent", "client_ip", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    client_ip: Mapped[str] = mapped_column(String(45))
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class SmsQuotaReset(Base):
    """A support agent started a number's daily SMS count afresh (FAQ 5, 16): the codes sent that
    day before ``reset_at`` no longer count. The send log itself is never changed."""

    __tablename__ = "sms_quota_resets"
    __table_args__ = (Index("ix_sms_quota_resets_phone_at", "phone", "reset_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    reset_at: Mapped[datetime]
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
