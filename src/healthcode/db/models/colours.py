"""Health declarations, authority lists, risk areas, manual recodes and rule sets: the inputs
of a card's colour (SPEC §4, §5)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class Declaration(Base):
    """One version of a health declaration for a card; every version is kept (FAQ 13/14).

    ``address_detail_enc`` is sealed like other personal data; the answers the rules read are
    plain columns. A declaration is made from a phone (``declared_by``, the resident) or taken at a
    designated institution's desk for a walk-in (``taken_by``, ``staff:{id}``).
    """

    __tablename__ = "declarations"
    __table_args__ = (
        Index("ix_declarations_card_version", "card_id", "version", unique=True),
        Index("ix_declarations_declared_at", "declared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    version: Mapped[int]
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    taken_by: Mapped[str | None] = mapped_column(String(40))
    declared_at: Mapped[datetime]
    temperature: Mapped[float | None]
    symptoms: Mapped[list[str]] = mapped_column(JSON)
    travel_regions: Mapped[list[str]] = mapped_column(JSON)
    contact_with_case: Mapped[bool]
    under_quarantine: Mapped[bool]
    case_status: Mapped[str] = mapped_column(String(16))
    address_region: Mapped[str] = mapped_column(String(6))
    address_detail_enc: Mapped[bytes] = mapped_column(LargeBinary)
    pledge: Mapped[bool]


class ListImport(Base):
    """One upload of an authority list file, its progress and its report of rejected rows."""

    __tablename__ = "list_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12))
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    accepted_rows: Mapped[int] = mapped_column(default=0)
    rejected_rows: Mapped[int] = mapped_column(default=0)
    recoloured_cards: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    file_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class ListEntry(Base):
    """A person on an authority case list, found by the document's blind index (they may have no
    card yet). ``cleared_at`` is set when the authority clears the person."""

    __tablename__ = "list_entries"
    __table_args__ = (Index("ix_list_entries_document", "document_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_index: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int] = mapped_column(ForeignKey("list_imports.id"))
    cleared_at: Mapped[datetime | None]


class TestResultRecord(Base):
    """A laboratory result from an authority's test-result list, found by the document's blind
    index like a list entry (the person may have no card yet): the day the sample was taken and
    whether it was positive. Names and laboratories in the file are for the report only."""

    __test__ = False  # not a pytest test class, despite the name
    __tablename__ = "test_results"
    __table_args__ = (Index("ix_test_results_document", "document_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_index: Mapped[str] = mapped_column(String(64))
    taken_on: Mapped[date] = mapped_column(Date)
    positive: Mapped[bool]
    import_id: Mapped[int] = mapped_column(ForeignKey("list_imports.id"))


class RiskAreaRecord(Base):
    """A region the authority declared high or medium risk for a period."""

    __tablename__ = "risk_areas"
    __table_args__ = (Index("ix_risk_areas_region", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6))
    level: Mapped[str] = mapped_column(String(8))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[int] = mapped_column(ForeignKey("list_imports.id"))


class RecodeRecord(Base):
    """A manual recode: proposed by one official, decided by another (four-eyes), appealable.

    ``status``: proposed, approved, declined, revoked. ``appeal_status``: none, open, upheld,
    granted (granting revokes the recode). ``evidence`` is for officials only; the resident sees
    the listed reason and ``resident_note``, written for them (may be empty). The four texts people
    type (evidence, note, appeal, answer) are sealed like other personal data.
    """

    __tablename__ = "recodes"
    __table_args__ = (Index("ix_recodes_card_status", "card_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    colour: Mapped[str] = mapped_column(String(8))
    reason_code: Mapped[str] = mapped_column(String(40))
    evidence_enc: Mapped[bytes] = mapped_column(LargeBinary)
    resident_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    until: Mapped[datetime | None]
    proposed_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    decided_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12))
    appeal_status: Mapped[str] = mapped_column(String(12), default="none")
    appeal_text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    appeal_answer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class RuleSetRecord(Base):
    """A rule set version as uploaded; exactly one is active (or none: the packaged default)."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    activated_at: Mapped[datetime]
    activated_by: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool]


class RuleSetProposal(Base):
    """A rule set an administrator proposes to activate; a second administrator approves it (it
    becomes the active :class:`RuleSetRecord`) or refuses it, or its proposer withdraws it.

    ``state``: proposed, approved, refused, withdrawn. ``source`` is the TOML as proposed (its
    ``sha256`` is what the approver's decision is about); ``note`` is the refusal's reason.
    """

    __tablename__ = "rule_set_proposals"
    __table_args__ = (Index("ix_rule_set_proposals_state", "state", "proposed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    proposed_by: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    proposed_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))


class Aggregate(Base):
    """A count without personal data: ``kind`` (applications, declarations, scans, fevers, cards)
    on ``day`` for ``key`` (an outcome, a site id, a colour; empty for none). Kept when the data it
    counts is purged (``healthcode data wind-down``)."""

    __tablename__ = "aggregates"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int]
