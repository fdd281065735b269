"""aggregates: counts without personal data (per kind, day and key) that outlive the data they
count, as kept by `healthcode data wind-down`

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aggregates",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", "key", name=op.f("pk_aggregates")),
    )


def downgrade() -> None:
    op.drop_table("aggregates")
