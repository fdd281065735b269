"""recodes: a note written for the resident, apart from the officials' evidence

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("recodes", sa.Column("resident_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recodes") as batch:
        batch.drop_column("resident_note")
