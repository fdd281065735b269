"""staff API keys: keys of staff accounts for the staff API, narrowed to scopes, the secret kept
as its SHA-256 only

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("last_used_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_staff_api_keys_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_staff_api_keys_key_id")),
    )
    op.create_index("ix_staff_api_keys_staff", "staff_api_keys", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_api_keys_staff", table_name="staff_api_keys")
    op.drop_table("staff_api_keys")
