"""Staff accounts of the back office."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.db.base import Base


class StaffAccount(Base):
    """A person who works the back office or a checkpoint: argon2 password, TOTP secret
    (encrypted like personal data), roles.

    ``failed_logins`` and ``locked_until`` implement the lockout of SPEC §10; ``totp_last_step``
    is the last authenticator time step accepted, so a code seen over a shoulder cannot be replayed.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int] = mapped_column(default=0)
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
