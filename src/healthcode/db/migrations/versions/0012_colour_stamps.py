"""colour stamps: each colour write changes cards.colour_stamp, and a write only lands on the
stamp it read, so a stale recolouring pass can neither overwrite a newer colour nor text twice

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("colour_stamp", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("colour_stamp")
