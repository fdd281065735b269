"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class AuditRecord(Base):
    """One entry of the audit trail; ``digest`` chains it to ``prev_digest`` (see domain.audit).

    Database triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject"), Index("ix_audit_log_actor", "actor"))

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text)
    prev_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row that names the chain's last entry; writers lock it to append in order.
    ``seal`` is a MAC of (seq, digest) with the audit key (None only before the first entry)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str | None] = mapped_column(String(64))
