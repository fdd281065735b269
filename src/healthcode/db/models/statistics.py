"""Rollups of the statistics pages (SPEC §10): counts without personal data, kept up to date by the
statistics job and kept when the rows they count are purged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class StatisticsDay(Base):
    """A count for one local day: ``kind`` (applications, declarations, colours, queue_length,
    queue_oldest_wait, recodes), ``region`` (a GB/T 2260 code, empty when the count has none) and
    ``key`` (an application's state, a colour, a recode action; empty for none). ``count`` is a
    number of rows, cards or actions (seconds for ``queue_oldest_wait``)."""

    __tablename__ = "statistics_days"

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(6), primary_key=True, default="")
    key: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    count: Mapped[int] = mapped_column(BigInteger)


class StatisticsScanHour(Base):
    """Checkpoint scans of one site in one hour of a local day: all scans, those with a temperature
    at the fever line or above, and those the official refused. ``site_id`` is not a foreign key:
    the rollup outlives whatever happens to the rows it counts."""

    __tablename__ = "statistics_scan_hours"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    site_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    scans: Mapped[int] = mapped_column(BigInteger)
    fevers: Mapped[int] = mapped_column(BigInteger)
    denied: Mapped[int] = mapped_column(BigInteger)


class StatisticsMark(Base):
    """How far the rollups have got: ``day`` (the local day of the last pass, from which the next
    pass counts again) and ``number`` (the last audit entry counted). One row, ``name`` "rollups";
    a pass holds it locked, so two passes never count the same rows twice."""

    __tablename__ = "statistics_marks"

    name: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)
    number: Mapped[int] = mapped_column(BigInteger, default=0)
