"""Every encrypted column of the platform, in one table, and the one way to read and write them.

Each value is bound to a *context* naming its row and column, so a ciphertext copied to another
row or column does not decrypt. The contexts below are stored formats: never change one; a new
form needs a new column or a rekey that reads the old context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from healthcode.db.base import Base
from healthcode.db.models import (
    Application,
    ApplicationPhoto,
    Card,
    Declaration,
    ListImport,
    SigningKeyRecord,
    StaffAccount,
    Ticket,
)
from healthcode.domain.crypto import DataKeyring


@dataclass(frozen=True)
class SealedColumn:
    """An encrypted column and how its context is formed from its row."""

    model: type[Base]
    column: str
    context: Callable[[Any], str]


SEALED_COLUMNS = (
    SealedColumn(Card, "document_enc", lambda card: f"card:{card.card_id}:document"),
    SealedColumn(Card, "name_enc", lambda card: f"card:{card.card_id}:name"),
    SealedColumn(Application, "name_enc", lambda application: f"application:{application.id}:name"),
    SealedColumn(ApplicationPhoto, "content_enc", lambda photo: f"photo:{photo.application_id}:{photo.side}"),
    SealedColumn(Ticket, "name_enc", lambda ticket: f"ticket:{ticket.id}:name"),
    SealedColumn(Ticket, "document_enc", lambda ticket: f"ticket:{ticket.id}:document"),
    SealedColumn(StaffAccount, "totp_secret_enc", lambda staff: f"staff:{staff.id}:totp"),
    SealedColumn(Declaration, "address_detail_enc", lambda declaration: f"declaration:{declaration.id}:address"),
    SealedColumn(ListImport, "file_enc", lambda upload: f"import:{upload.id}:file"),
    SealedColumn(ListImport, "report_enc", lambda upload: f"import:{upload.id}:report"),
    SealedColumn(SigningKeyRecord, "private_key_enc", lambda key: f"signing_key:{key.id}:private"),
)
_BY_KEY = {(sealed.model, sealed.column): sealed for sealed in SEALED_COLUMNS}


class Sealer:
    """Encrypts into and decrypts out of the columns of :data:`SEALED_COLUMNS`.

    Rows must have their primary key (flush first) when the context uses it.
    """

    def __init__(self, keyring: DataKeyring):
        self.keyring = keyring

    def _context(self, row: Base, column: str) -> str:
        return _BY_KEY[(type(row), column)].context(row)

    def seal_text(self, row: Base, column: str, value: str) -> None:
        setattr(row, column, self.keyring.encrypt_text(value, context=self._context(row, column)))

    def open_text(self, row: Base, column: str) -> str:
        return self.keyring.decrypt_text(getattr(row, column), context=self._context(row, column))

    def seal_bytes(self, row: Base, column: str, value: bytes) -> None:
        setattr(row, column, self.keyring.encrypt(value, context=self._context(row, column).encode()))

    def open_bytes(self, row: Base, column: str) -> bytes:
        blob: bytes = getattr(row, column)
        return self.keyring.decrypt(blob, context=self._context(row, column).encode())
