"""Code signing keys and revoked tokens (DESIGN.md "The code token", SPEC §7, §9, §11).

A signing key's private half is sealed (``privacy/sealed.py``, context ``signing_key:{id}:private``);
its public half is published in the trust list while tokens it signed can still be valid.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class SigningKeyRecord(Base):
    """One ES256 key of this issuer. ``status`` is ``active`` (signs new tokens; at most one, a
    partial unique index says so) or ``retired``. The window ``not_before`` .. ``not_after`` bounds
    the issue times of the tokens the key vouches for; ``not_after`` is set when it is retired."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Index(
            "ix_signing_keys_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    issuer: Mapped[str] = mapped_column(String(32))
    public_key_der: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class RevokedToken(Base):
    """A token that fails at every checkpoint from now on (a paper certificate withdrawn, SPEC §9).
    ``token_id`` is the token's 8-byte id in hex; ``kind`` is ``live`` or ``paper``; ``expires_at``
    is when the token would have expired anyway (it leaves the published list then), or None when
    unknown (kept listed)."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    revoked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))
    revoked_by: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime | None]


class TrustedListRecord(Base):
    """Another issuer's trust list an administrator added from a file (SPEC §11): its keys verify
    that issuer's codes here, beside the lists of ``HEALTHCODE_TRUSTED_LISTS``. ``document`` is
    the JSON as received (checked against its own signature when added and when read); one list
    per issuer, replaced by a newer one."""

    __tablename__ = "trusted_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(32), unique=True)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime]
