"""no colour before the first declaration: cards.colour may be empty, and cards that never
declared lose the green they were given by default

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.alter_column("colour", existing_type=sa.String(length=8), nullable=True, server_default=None)
    op.execute(
        "UPDATE cards SET colour = NULL, colour_reasons = '[]', green_on = NULL, recheck_at = NULL"
        " WHERE NOT EXISTS (SELECT 1 FROM declarations WHERE declarations.card_id = cards.id)"
    )


def downgrade() -> None:
    op.execute("UPDATE cards SET colour = 'green' WHERE colour IS NULL")
    with op.batch_alter_table("cards") as batch:
        batch.alter_column("colour", existing_type=sa.String(length=8), nullable=False, server_default="green")
