"""Staff API keys (API.md "Staff API")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class StaffApiKey(Base):
    """A key an authority's system or a checkpoint device calls the staff API with, on behalf of
    one staff account, narrowed to ``scopes``. ``key_id`` is public (lists, revoking, the audit
    trail); of the secret only its SHA-256 is kept (:mod:`healthcode.domain.api_keys`).
    ``created_by`` and ``revoked_by`` are audit actors (``staff:7``, ``cli``)."""

    __tablename__ = "staff_api_keys"
    __table_args__ = (Index("ix_staff_api_keys_staff", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    label: Mapped[str] = mapped_column(String(100), default="")
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(40))
