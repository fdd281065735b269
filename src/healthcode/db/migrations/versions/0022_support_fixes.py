"""support fixes: a ticket may carry one cleaned, encrypted screenshot; the fixes agents make from
a ticket (re-bind, re-run, name correction, link ended) are kept with their sealed detail

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("screenshot_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("screenshot_enc", sa.LargeBinary(), nullable=True))
    op.create_table(
        "ticket_fixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_fixes_ticket_id_tickets")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_ticket_fixes_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_fixes")),
    )
    op.create_index("ix_ticket_fixes_ticket", "ticket_fixes", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_fixes_ticket", table_name="ticket_fixes")
    op.drop_table("ticket_fixes")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("screenshot_enc")
        batch.drop_column("screenshot_type")
