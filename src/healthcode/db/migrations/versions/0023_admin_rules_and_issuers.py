"""administration pages: rule sets proposed by one administrator and approved by a second
(rule_set_proposals); other issuers' trust lists added from a file (trusted_lists)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_set_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["staff_accounts.id"], name=op.f("fk_rule_set_proposals_proposed_by_staff_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_accounts.id"], name=op.f("fk_rule_set_proposals_decided_by_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_proposals")),
    )
    op.create_index("ix_rule_set_proposals_state", "rule_set_proposals", ["state", "proposed_at"])
    op.create_table(
        "trusted_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("added_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_lists")),
        sa.UniqueConstraint("issuer", name=op.f("uq_trusted_lists_issuer")),
    )


def downgrade() -> None:
    op.drop_table("trusted_lists")
    op.drop_index("ix_rule_set_proposals_state", table_name="rule_set_proposals")
    op.drop_table("rule_set_proposals")
