"""Leases of background work: which process runs a job, until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class JobLease(Base):
    """A named piece of background work (a periodic job, one list import) and the process that
    holds it until ``until``; another process may take it over only after that
    (:mod:`healthcode.db.leases`)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]
