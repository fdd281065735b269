"""statistics: rollups without personal data for the statistics pages (counts per local day, region
and key; scans per site and hour), the mark of how far they have got, and the indexes by time the
rollup job reads scans, declarations and applications through

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statistics_days",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", "region", "key", name=op.f("pk_statistics_days")),
    )
    op.create_table(
        "statistics_scan_hours",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("site_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scans", sa.BigInteger(), nullable=False),
        sa.Column("fevers", sa.BigInteger(), nullable=False),
        sa.Column("denied", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "hour", "site_id", name=op.f("pk_statistics_scan_hours")),
    )
    op.create_table(
        "statistics_marks",
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_statistics_marks")),
    )
    marks = sa.table("statistics_marks", sa.column("name"), sa.column("day"), sa.column("number"))
    op.bulk_insert(marks, [{"name": "rollups", "day": None, "number": 0}])
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index("ix_scans_at", ["at"], unique=False)
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index("ix_declarations_declared_at", ["declared_at"], unique=False)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_created_at")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_declared_at")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_at")
    op.drop_table("statistics_marks")
    op.drop_table("statistics_scan_hours")
    op.drop_table("statistics_days")
