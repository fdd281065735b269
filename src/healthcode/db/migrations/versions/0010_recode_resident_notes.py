"""recodes: a note written for the resident, apart from the officials' evidence

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("recodes", sa.Column("resident_note", sa.Text(), nullable=True))
    # Cards under a recode keep a reason text rendered from the officials' evidence: make them due,
    # so that the background recheck renders them again (reason and note only) within seconds.
    cards = sa.table(
        "cards", sa.column("id", sa.Integer()), sa.column("recheck_at", healthcode.db.base.UTCDateTime(timezone=True))
    )
    recodes = sa.table("recodes", sa.column("card_id", sa.Integer()), sa.column("status", sa.String()))
    recoded = sa.select(recodes.c.card_id).where(recodes.c.status == "approved")
    op.get_bind().execute(cards.update().where(cards.c.id.in_(recoded)).values(recheck_at=datetime.now(UTC)))


def downgrade() -> None:
    with op.batch_alter_table("recodes") as batch:
        batch.drop_column("resident_note")
