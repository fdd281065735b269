"""the audit head carries a seal (a MAC with the audit key), so a tail cut off with the head
rewritten to the entry before it is found; an existing head is sealed here, which needs the key
that `healthcode db upgrade` passes in (its settings)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from healthcode.domain.audit import head_seal

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seq, digest = op.get_bind().execute(sa.text("SELECT seq, digest FROM audit_head WHERE id = 1")).one()
    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    key: str = settings.audit_key if settings is not None else ""
    if seq > 0 and not key:  # checked before any change: SQLite does not roll back DDL
        raise RuntimeError("sealing the audit head needs the audit key: run `healthcode db upgrade`")
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
    if seq > 0:  # with nothing recorded yet, the first entry seals the head
        op.get_bind().execute(
            sa.text("UPDATE audit_head SET seal = :seal WHERE id = 1"), {"seal": head_seal(key.encode(), seq, digest)}
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("seal")
