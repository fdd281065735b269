"""Rekeying: after a new data key is put first in ``HEALTHCODE_DATA_KEYS``, re-encrypt every
sealed value under it, so the old key can be dropped."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from healthcode.domain.crypto import DataKeyring
from healthcode.privacy.sealed import SEALED_COLUMNS, SealedColumn

BATCH = 500
Progress = Callable[[SealedColumn, int, int], None]


async def count_sealed(db: AsyncSession) -> dict[str, int]:
    """How many rows each sealed column's table has (for a progress bar)."""
    return {
        f"{sealed.model.__tablename__}.{sealed.column}": int(
            await db.scalar(select(func.count()).select_from(sealed.model)) or 0
        )
        for sealed in SEALED_COLUMNS
    }


async def rekey(db: AsyncSession, keyring: DataKeyring, progress: Progress | None = None) -> int:
    """Re-encrypt every value not under the active key, in committed batches; returns how many
    values were rewritten. Safe to interrupt and run again: finished rows are skipped."""
    rewritten = 0
    for sealed in SEALED_COLUMNS:
        model, column = sealed.model, sealed.column
        key = model.__mapper__.primary_key[0]
        last = None
        done = 0
        while True:
            # undefer: a large sealed column (a ticket's screenshot) is deferred on its model
            query = select(model).options(undefer(getattr(model, column))).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            rows = list(await db.scalars(query))
            if not rows:
                break
            for row in rows:
                blob = getattr(row, column)
                if blob and keyring.needs_rotation(blob):
                    setattr(row, column, keyring.rotate(blob, context=sealed.context(row).encode()))
                    rewritten += 1
            last = getattr(rows[-1], key.name)
            done += len(rows)
            await db.commit()
            if progress is not None:
                progress(sealed, done, len(rows))
    return rewritten
