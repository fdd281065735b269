"""One settings object for the whole platform: environment variables prefixed ``HEALTHCODE_``.

Every setting has a default that suits a developer's machine, a description, and an entry in
``.env.example`` (a test keeps the two in step). In ``prod`` the settings fail closed: missing or
placeholder secrets stop the server from starting. In ``dev`` and ``test`` throwaway secrets are
generated once and kept in ``<var_dir>/secrets.json`` so that a fresh checkout simply runs.
"""

from __future__ import annotations

import json
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from healthcode.domain.sms import SmsLimits
from healthcode.domain.staff_auth import LockoutPolicy

SECRET_NAMES = ("secret_key", "audit_key")
PLACEHOLDERS = {"", "change-me", "changeme", "secret", "placeholder"}
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Runtime configuration; read once at start-up and passed to whatever needs it."""

    model_config = SettingsConfigDict(env_prefix="HEALTHCODE_", env_file=None, extra="ignore")

    env: Literal["dev", "test", "prod"] = Field("dev", description="dev, test or prod; prod fails closed on secrets")
    database_url: str = Field("", description="SQLAlchemy async URL; empty means a SQLite file <var_dir>/healthcode.db")
    var_dir: Path = Field(Path("var"), description="Folder for the SQLite file and dev/test secrets")
    secret_key: str = Field("", description="Signs CSRF tokens and keys the hashes of SMS codes (32+ chars)")
    audit_key: str = Field("", description="Keys the audit log's hash chain (32+ chars); keep it apart from the DB")

    region_code: str = Field("150100", description="GB/T 2260 code of the deploying region")
    region_name: str = Field("呼和浩特市", description="Name of the deploying region shown on pages")
    timezone: str = Field("Asia/Shanghai", description="Zone of the region's calendar day (SMS daily limit)")
    hotlines: list[str] = Field(
        default_factory=lambda: ["15248114681", "0471-4607155"], description="Hotline numbers, JSON list"
    )
    service_hours: str = Field("09:00-12:00, 14:00-17:00", description="Hotline service hours shown on every page")
    default_language: str = Field("zh_CN", description="Language when the browser asks for none we have")

    sms_provider: Literal["outbox"] = Field("outbox", description="SMS adapter; outbox keeps texts in the DB")
    sms_daily_limit: int = Field(5, ge=1, description="Codes per number per calendar day")
    sms_resend_interval_s: int = Field(60, ge=0, description="Seconds between two codes to one number")
    sms_ip_hourly_limit: int = Field(30, ge=1, description="Codes per client address per hour")
    sms_code_ttl_s: int = Field(300, ge=30, description="Seconds a code stays valid")
    sms_max_attempts: int = Field(5, ge=1, description="Wrong tries before a code dies")

    session_ttl_days: int = Field(30, ge=1, description="Days a resident's device login lasts")
    staff_session_ttl_hours: int = Field(8, ge=1, description="Hours a staff sign-in lasts")
    staff_lockout_threshold: int = Field(5, ge=1, description="Failed staff sign-ins before lockout")
    staff_lockout_minutes: int = Field(15, ge=1, description="Minutes a locked staff account stays locked")
    trust_forwarded_for: bool = Field(
        False, description="Take the client address from X-Forwarded-For (only behind a trusted proxy)"
    )

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.env == "prod":
            bad = [n for n in SECRET_NAMES if _weak(getattr(self, n))]
            if bad:
                names = ", ".join("HEALTHCODE_" + n.upper() for n in bad)
                raise ValueError(f"{names}: set a random value of at least {MIN_SECRET_LENGTH} characters in prod")
            if not self.database_url:
                raise ValueError("HEALTHCODE_DATABASE_URL must be set in prod")
        else:
            kept = _throwaway_secrets(self.var_dir)
            for name in SECRET_NAMES:
                if not getattr(self, name):
                    setattr(self, name, kept[name])
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'healthcode.db'}"
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sms_limits(self) -> SmsLimits:
        return SmsLimits(
            daily_limit=self.sms_daily_limit,
            resend_interval_s=self.sms_resend_interval_s,
            ip_hourly_limit=self.sms_ip_hourly_limit,
            code_ttl_s=self.sms_code_ttl_s,
            max_attempts=self.sms_max_attempts,
        )

    @property
    def lockout(self) -> LockoutPolicy:
        return LockoutPolicy(self.staff_lockout_threshold, self.staff_lockout_minutes)

    @property
    def dev_tools(self) -> bool:
        """Developer pages (the SMS outbox) exist only outside prod."""
        return self.env != "prod"


def _weak(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or len(value) < MIN_SECRET_LENGTH


def _throwaway_secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "secrets.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in SECRET_NAMES if n not in kept]
    if missing:
        kept.update({n: secrets.token_urlsafe(48) for n in missing})
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(kept, indent=2))
        path.chmod(0o600)
    return kept
