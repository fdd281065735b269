"""free text sealed: what people type (tickets, recode evidence, notes for residents, appeals and
their answers, reviewers' notes) and the colour reasons that quote it are encrypted like the other
personal columns; existing values are sealed here with the keys `healthcode db upgrade` passes in

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 12:40:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from healthcode.db.base import Base
from healthcode.db.models import Application, RecodeRecord, Ticket
from healthcode.privacy.sealed import Sealer

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, model, plaintext column, sealed column, whether the sealed column is required
TEXTS: list[tuple[str, type[Base], str, str, bool]] = [
    ("tickets", Ticket, "text", "text_enc", True),
    ("recodes", RecodeRecord, "evidence", "evidence_enc", True),
    ("recodes", RecodeRecord, "resident_note", "resident_note_enc", False),
    ("recodes", RecodeRecord, "appeal_text", "appeal_text_enc", False),
    ("recodes", RecodeRecord, "appeal_answer", "appeal_answer_enc", False),
    ("applications", Application, "note", "note_enc", False),
]


def _sealer(what: str) -> Sealer:
    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    if settings is None:
        raise RuntimeError(f"{what} needs the data keys: run `healthcode db upgrade`")
    return Sealer(settings.keyring)


def _rows(table: str, column: str) -> list[Any]:
    # table and column come from the constants above, never from input
    query = f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    return list(op.get_bind().execute(sa.text(query)))


def _has_data() -> bool:
    """Whether anything stored needs the keys (no reasons, '[]', needs none)."""
    texts = any(_rows(table, plain) for table, _, plain, _, _ in TEXTS)
    return texts or any(_json(value) for _, value in _rows("cards", "colour_reasons"))


def _write(table: str, target: str, values: list[tuple[int, Any]]) -> None:
    if values:
        statement = sa.text(f"UPDATE {table} SET {target} = :value WHERE id = :id")  # noqa: S608 - constants
        op.get_bind().execute(statement, [{"id": row_id, "value": value} for row_id, value in values])


def upgrade() -> None:
    sealer = _sealer("sealing the free text already stored") if _has_data() else None
    for table, model, plain, sealed, required in TEXTS:
        rows = _rows(table, plain)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(sealed, sa.LargeBinary(), nullable=True))
        if rows and sealer is not None:
            _write(table, sealed, [(row_id, _seal(sealer, model(id=row_id), sealed, text)) for row_id, text in rows])
        with op.batch_alter_table(table) as batch:
            batch.drop_column(plain)
            if required:
                batch.alter_column(sealed, existing_type=sa.LargeBinary(), nullable=False)
    reasons = [(row_id, _json(value)) for row_id, value in _rows("cards", "colour_reasons")]
    reasons = [(row_id, value) for row_id, value in reasons if value]
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("colour_reasons_enc", sa.LargeBinary(), nullable=True))
    if reasons and sealer is not None:
        _write(
            "cards",
            "colour_reasons_enc",
            [(row_id, sealer.seal_reasons(row_id, value)) for row_id, value in reasons],
        )
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("colour_reasons")


def downgrade() -> None:
    sealer = _sealer("opening the sealed free text") if _has_sealed() else None
    for table, model, plain, sealed, required in TEXTS:
        rows = _rows(table, sealed)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(plain, sa.Text(), nullable=True))
        if rows and sealer is not None:
            _write(table, plain, [(row_id, _open(sealer, model(id=row_id), sealed, blob)) for row_id, blob in rows])
        with op.batch_alter_table(table) as batch:
            batch.drop_column(sealed)
            if required:
                batch.alter_column(plain, existing_type=sa.Text(), nullable=False)
    reasons = _rows("cards", "colour_reasons_enc")
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("colour_reasons", sa.JSON(), nullable=True))
    if reasons and sealer is not None:
        opened = [(row_id, json.dumps(sealer.open_reasons(row_id, bytes(blob)))) for row_id, blob in reasons]
        _write("cards", "colour_reasons", opened)
    op.execute("UPDATE cards SET colour_reasons = '[]' WHERE colour_reasons IS NULL")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("colour_reasons_enc")
        batch.alter_column("colour_reasons", existing_type=sa.JSON(), nullable=False)


def _has_sealed() -> bool:
    return any(_rows(table, sealed) for table, _, _, sealed, _ in TEXTS) or bool(_rows("cards", "colour_reasons_enc"))


def _seal(sealer: Sealer, row: Base, column: str, text: str) -> bytes:
    sealer.seal_text(row, column, text)
    return bytes(getattr(row, column))


def _open(sealer: Sealer, row: Base, column: str, blob: bytes) -> str:
    setattr(row, column, bytes(blob))
    return sealer.open_text(row, column)


def _json(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str | bytes) else list(value or [])
