"""support desk: tickets are assigned to an agent and carry the time of their last change; agents'
replies (encrypted like the ticket's text) in ticket_replies; agents' resets of a number's daily
SMS count in sms_quota_resets

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.db.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("updated_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tickets_assigned_to_staff_accounts"), "staff_accounts", ["assigned_to"], ["id"]
        )
    op.create_table(
        "ticket_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("text_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_replies_ticket_id_tickets")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_ticket_replies_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_replies")),
    )
    op.create_index("ix_ticket_replies_ticket", "ticket_replies", ["ticket_id"])
    op.create_table(
        "sms_quota_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("reset_at", healthcode.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_sms_quota_resets_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_quota_resets")),
    )
    op.create_index("ix_sms_quota_resets_phone_at", "sms_quota_resets", ["phone", "reset_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_quota_resets_phone_at", table_name="sms_quota_resets")
    op.drop_table("sms_quota_resets")
    op.drop_index("ix_ticket_replies_ticket", table_name="ticket_replies")
    op.drop_table("ticket_replies")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(op.f("fk_tickets_assigned_to_staff_accounts"), type_="foreignkey")
        batch.drop_column("updated_at")
        batch.drop_column("assigned_to")
