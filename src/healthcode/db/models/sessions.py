"""Device sessions of residents and staff alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class AuthSession(Base):
    """A login on one device: the bearer token's SHA-256, who it is for, and its lifetime.

    ``principal_kind`` is ``resident`` or ``staff``; the token itself is never stored.
    """

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_principal", "principal_kind", "principal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_kind: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[int]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    device: Mapped[str] = mapped_column(String(200), default="")
    client_ip: Mapped[str] = mapped_column(String(45), default="")
