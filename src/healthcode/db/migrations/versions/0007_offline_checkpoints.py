"""offline checkpoints: revocations expire from the published list; scans made offline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "revoked_tokens", sa.Column("expires_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("scans", sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("scans", sa.Column("device_ref", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_scans_device_ref"), "scans", ["device_ref"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_scans_device_ref"), table_name="scans")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("device_ref")
        batch.drop_column("offline")
    with op.batch_alter_table("revoked_tokens") as batch:
        batch.drop_column("expires_at")
