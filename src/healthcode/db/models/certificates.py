"""Paper certificates issued at designated institutions (SPEC §9).

The certificate itself is a PDF handed to the person and never stored; this row keeps what it says
about whom and its token id, so a clerk can list, reprint and revoke it. Revoking also inserts the
token id into ``revoked_tokens``, which is what checkpoints' verifiers read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class PaperCertificate(Base):
    """One printed certificate. ``token_id`` is its PAPER token's 8-byte id in hex; ``issued_by`` is
    the clerk (``staff:7``); ``reprint_of`` names the certificate this one replaced (revoked then)."""

    __tablename__ = "paper_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    colour: Mapped[str] = mapped_column(String(8))
    issued_by: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime]
    valid_until: Mapped[datetime]
    reprint_of: Mapped[int | None] = mapped_column(ForeignKey("paper_certificates.id"))
    revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
