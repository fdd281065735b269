"""walk-ins: a clerk registers a person with no phone, so an application may have no holder and
no resident (registered_by names the clerk), and a declaration may be taken at a desk (taken_by)
instead of made from a phone (declared_by)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.alter_column("holder_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("resident_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("registered_by", sa.String(length=40), nullable=True))
    with op.batch_alter_table("declarations") as batch:
        batch.alter_column("declared_by", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("taken_by", sa.String(length=40), nullable=True))


def downgrade() -> None:
    # Walk-ins' rows have no phone to belong to: they cannot be kept in the older shape.
    op.execute(
        "DELETE FROM application_photos WHERE application_id IN (SELECT id FROM applications WHERE holder_id IS NULL)"
    )
    op.execute("DELETE FROM applications WHERE holder_id IS NULL")
    op.execute("DELETE FROM declarations WHERE declared_by IS NULL")
    with op.batch_alter_table("declarations") as batch:
        batch.drop_column("taken_by")
        batch.alter_column("declared_by", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("registered_by")
        batch.alter_column("resident_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("holder_id", existing_type=sa.Integer(), nullable=False)
