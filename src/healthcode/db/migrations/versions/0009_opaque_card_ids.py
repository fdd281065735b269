"""opaque card identifiers: a random public_id for URLs, pages and the API (the national card ID,
SM4-ECB of the document, leaked who shares a county and a birth date); existing cards get one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:10:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cards", sa.Column("public_id", sa.String(length=32), nullable=True))
    cards = sa.table("cards", sa.column("id", sa.Integer()), sa.column("public_id", sa.String()))
    connection = op.get_bind()
    ids = list(connection.scalars(sa.select(cards.c.id)))
    for start in range(0, len(ids), 1000):
        connection.execute(
            cards.update().where(cards.c.id == sa.bindparam("card")).values(public_id=sa.bindparam("opaque")),
            [{"card": card, "opaque": secrets.token_hex(16)} for card in ids[start : start + 1000]],
        )
    with op.batch_alter_table("cards") as batch:
        batch.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint(batch.f("uq_cards_public_id"), ["public_id"])


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.drop_constraint(batch.f("uq_cards_public_id"), type_="unique")
        batch.drop_column("public_id")
