"""passage exceptions: why a person without a valid green code was let through; sites that
require a temperature

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scans", sa.Column("exception_reason", sa.String(length=20), nullable=True))
    op.add_column("sites", sa.Column("temperature_required", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("temperature_required")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("exception_reason")
