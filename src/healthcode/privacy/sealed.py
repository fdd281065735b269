"""Every encrypted column of the platform, in one table, and the one way to read and write them.

Each value is bound to a *context* naming its row and column, so a ciphertext copied to another
row or column does not decrypt. The contexts below are stored formats: never change one; a new
form needs a new column or a rekey that reads the old context.
"""

from __future__ import annotations

import json
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
    RecodeRecord,
    SigningKeyRecord,
    StaffAccount,
    Ticket,
    TicketFix,
    TicketReply,
)
from healthcode.domain.crypto import DataKeyring


def reasons_context(card_row_id: int) -> str:
    """The context of a card's sealed reasons, by the card's row id (the lean code page has no row)."""
    return f"card:{card_row_id}:reasons"


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
    SealedColumn(Ticket, "text_enc", lambda ticket: f"ticket:{ticket.id}:text"),
    SealedColumn(TicketReply, "text_enc", lambda reply: f"ticket_reply:{reply.id}:text"),
    SealedColumn(RecodeRecord, "evidence_enc", lambda recode: f"recode:{recode.id}:evidence"),
    SealedColumn(RecodeRecord, "resident_note_enc", lambda recode: f"recode:{recode.id}:resident_note"),
    SealedColumn(RecodeRecord, "appeal_text_enc", lambda recode: f"recode:{recode.id}:appeal_text"),
    SealedColumn(RecodeRecord, "appeal_answer_enc", lambda recode: f"recode:{recode.id}:appeal_answer"),
    SealedColumn(Application, "note_enc", lambda application: f"application:{application.id}:note"),
    SealedColumn(Card, "colour_reasons_enc", lambda card: reasons_context(card.id)),
    SealedColumn(Ticket, "screenshot_enc", lambda ticket: f"ticket:{ticket.id}:screenshot"),
    SealedColumn(TicketFix, "detail_enc", lambda fix: f"ticket_fix:{fix.id}:detail"),
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

    def seal_optional_text(self, row: Base, column: str, value: str | None) -> None:
        """:meth:`seal_text`, or None in the column for no text (an empty note, no appeal yet)."""
        if value:
            self.seal_text(row, column, value)
        else:
            setattr(row, column, None)

    def open_optional_text(self, row: Base, column: str) -> str | None:
        return self.open_text(row, column) if getattr(row, column) is not None else None

    def seal_reasons(self, card_row_id: int, reasons: list[dict[str, Any]]) -> bytes | None:
        """A card's colour reasons as its ``colour_reasons_enc`` holds them (None for none)."""
        if not reasons:
            return None
        text = json.dumps(reasons, ensure_ascii=False, separators=(",", ":"))
        return self.keyring.encrypt_text(text, context=reasons_context(card_row_id))

    def open_reasons(self, card_row_id: int, blob: bytes | None) -> list[dict[str, Any]]:
        """A card's colour reasons from its ``colour_reasons_enc`` (the row or a lean read's value)."""
        if blob is None:
            return []
        text = self.keyring.decrypt_text(blob, context=reasons_context(card_row_id))
        reasons: list[dict[str, Any]] = json.loads(text)
        return reasons

    def seal_bytes(self, row: Base, column: str, value: bytes) -> None:
        setattr(row, column, self.keyring.encrypt(value, context=self._context(row, column).encode()))

    def open_bytes(self, row: Base, column: str) -> bytes:
        blob: bytes = getattr(row, column)
        return self.keyring.decrypt(blob, context=self._context(row, column).encode())
