"""sms delivery: the outbox's texts are queued, claimed and handed to a carrier once (state,
carrier reference, tries, due time, delivery time, last failure); existing texts are "kept"

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=8), server_default="kept", nullable=False))
        batch_op.add_column(sa.Column("ref", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("due_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_sms_outbox_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_due")
        batch_op.drop_column("failure")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("tries")
        batch_op.drop_column("ref")
        batch_op.drop_column("state")
