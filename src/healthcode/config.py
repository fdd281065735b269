"""One settings object for the whole platform: environment variables prefixed ``HEALTHCODE_``.

Every setting has a default that suits a developer's machine, a description, and an entry in
``.env.example`` (a test keeps the two in step). In ``prod`` the settings fail closed: missing or
placeholder secrets stop the server from starting. In ``dev`` and ``test`` throwaway secrets are
generated once and kept in ``<var_dir>/secrets.json`` so that a fresh checkout simply runs.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from healthcode.domain.cards import FamilyLimits, RealNameRules
from healthcode.domain.crypto import DataKeyring, generate_key_spec
from healthcode.domain.documents import DocumentType
from healthcode.domain.sms import SmsLimits
from healthcode.domain.staff_auth import LockoutPolicy
from healthcode.domain.tokens.format import ISSUER_PATTERN
from healthcode.domain.tokens.reference import reference_key

SECRET_GENERATORS: dict[str, Callable[[], str]] = {
    "secret_key": lambda: secrets.token_urlsafe(48),
    "audit_key": lambda: secrets.token_urlsafe(48),
    "index_key": lambda: secrets.token_urlsafe(48),
    "data_keys": lambda: generate_key_spec("k1"),
    "card_key": lambda: secrets.token_hex(16),
}
SECRET_NAMES = tuple(SECRET_GENERATORS)
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
    data_keys: str = Field(
        "",
        description="Keys that encrypt personal data, 'id:base64,...'; the first encrypts, all decrypt "
        "(rotate by putting a new key first, then run `healthcode data rekey`)",
    )
    index_key: str = Field(
        "",
        description="Keys lookup hashes of document numbers and codes' card references (32+ chars); never change it",
    )
    card_key: str = Field("", description="SM4 key of health-card IDs, 32 hex characters; never change it")
    audit_anchor_dir: Path | None = Field(
        None,
        description="Folder outside the database for signed checkpoints of the audit chain (anchors), ideally "
        "write-once or another machine's; empty: no anchors",
    )
    audit_anchor_interval_s: int = Field(
        3600, ge=60, description="Seconds between anchors the background job writes (when the folder is set)"
    )

    region_code: str = Field("150100", description="GB/T 2260 code of the deploying region")
    region_name: str = Field("呼和浩特市", description="Name of the deploying region shown on pages")
    region_name_translations: dict[str, str] = Field(
        default_factory=lambda: {"en": "Hohhot", "mn": "ᠬᠥᠬᠡᠬᠣᠲᠠ"},
        description="The region's name in the other languages of the pages, JSON object by language code",
    )
    timezone: str = Field("Asia/Shanghai", description="Zone of the region's calendar day (SMS daily limit)")
    hotlines: list[str] = Field(
        default_factory=lambda: ["15248114681", "0471-4607155"], description="Hotline numbers, JSON list"
    )
    service_hours: str = Field("09:00-12:00, 14:00-17:00", description="Hotline service hours shown on every page")
    default_language: str = Field("zh_CN", description="Language when the browser asks for none we have")

    sms_provider: Literal["outbox", "http"] = Field(
        "outbox",
        description="SMS adapter: outbox keeps texts in the database for developers and tests (nothing leaves); "
        "http hands each text to the carrier's gateway at HEALTHCODE_SMS_HTTP_URL, once, after its change commits",
    )
    sms_http_url: str = Field(
        "",
        description="The carrier gateway for sms_provider=http: each text is POSTed as JSON "
        '{"id", "to", "text"}; "id" is the same on every retry of one text, for the gateway to drop repeats',
    )
    sms_http_token: str = Field("", description="Bearer token sent to the carrier gateway (empty: none sent)")
    sms_http_timeout_s: float = Field(5.0, gt=0, le=60, description="Seconds to wait for the gateway's answer")
    sms_delivery_tries: int = Field(
        8,
        ge=1,
        le=20,
        description="Tries to hand one text to the gateway before it is marked failed; retries wait 5 s, "
        "then twice as long each time, at most 10 minutes",
    )
    sms_daily_limit: int = Field(5, ge=1, description="Codes per number per calendar day")
    sms_resend_interval_s: int = Field(60, ge=0, description="Seconds between two codes to one number")
    sms_ip_hourly_limit: int = Field(30, ge=1, description="Codes per client address per hour")
    sms_code_ttl_s: int = Field(300, ge=30, description="Seconds a code stays valid")
    sms_max_attempts: int = Field(5, ge=1, description="Wrong tries before a code dies")

    photo_max_bytes: int = Field(8_000_000, ge=100_000, description="Largest document photo upload, in bytes")
    photo_decodes: int = Field(2, ge=1, description="Photos each worker process cleans at once; more wait")
    photo_decode_wait_s: float = Field(
        3.0, ge=0, description="Seconds a photo waits for a free decoding slot before the upload is refused (503)"
    )
    realname_provider: Literal["rules"] = Field("rules", description="Real-name adapter; rules decides offline")
    realname_delay_s: int = Field(5, ge=0, description="Seconds the built-in real-name provider waits before deciding")
    realname_review_types: list[DocumentType] = Field(
        default_factory=lambda: [
            DocumentType.PASSPORT,
            DocumentType.HK_MACAO_PERMIT,
            DocumentType.TAIWAN_PERMIT,
            DocumentType.HK_MACAO_TAIWAN_RESIDENCE_PERMIT,
            DocumentType.FOREIGN_PERMANENT_RESIDENT_ID,
        ],
        description="Document types the built-in provider always sends to reviewers, JSON list",
    )
    realname_seconds_per_application: int = Field(
        2, ge=1, description="Provider seconds per queued application, for the resident's wait estimate"
    )
    review_seconds_per_application: int = Field(
        180, ge=1, description="Reviewer seconds per queued application, for the resident's wait estimate"
    )
    family_max_dependants: int = Field(8, ge=1, description="Family members one resident may add")
    family_max_guardians: int = Field(3, ge=1, description="Family phones that may show one person's card")
    database_replica_urls: list[str] = Field(
        default_factory=list,
        description="PostgreSQL streaming replicas (asyncpg URLs) for the code display's reads, JSON list; "
        "needs HEALTHCODE_REDIS_URL, through which a resident's own changes are read from the primary",
    )
    database_lean_connections: int = Field(
        8,
        ge=1,
        le=500,
        description="PostgreSQL connections each server worker keeps for the code display's one read (opened "
        "as needed; as many for each replica): the displays that arrive together share one, so a worker keeps "
        "about one busy per kind of read",
    )
    replica_max_lag_s: float = Field(
        2.0,
        gt=0,
        description="A replica further behind the primary than this many seconds serves no reads until it catches up",
    )
    max_in_flight: int = Field(
        200,
        ge=10,
        description="Requests one server worker works on at once; past 60 % of it pages are refused (503), "
        "past 85 % verification, at 100 % code display",
    )
    max_delay_ms: int = Field(
        1000,
        ge=50,
        description="How far behind a server worker may run; pages are refused (503) from 10 % of it, "
        "verification from 30 %, code display at 100 %",
    )
    redis_url: str = Field(
        "",
        description="Redis shared by every server (redis://host:6379/0): rate limits per client and, with "
        "replicas, whose changes to read from the primary; empty keeps the limits in each process",
    )
    jobs_interval_s: int = Field(
        5,
        ge=1,
        description="Seconds between passes of the background jobs (each periodic job fires once a pass in a cluster)",
    )
    jobs_in_server: bool = Field(
        True,
        description="Run the background jobs inside `healthcode serve` (the embedded default); false when "
        "`healthcode worker` processes run them",
    )
    job_lease_s: int = Field(
        300,
        ge=10,
        description="Seconds a worker's hold on a list import lasts unrenewed: after a crash another worker "
        "takes the import over once it passes",
    )
    statistics_every_s: int = Field(
        600,
        ge=10,
        description="Seconds between passes of the statistics rollups (once in a cluster); the last pass of a "
        "day is its end-of-day count of cards by colour",
    )

    retention_sms_days: int = Field(
        7, ge=2, description="Days SMS codes (their hashes) and sent texts are kept (the daily limit needs 2)"
    )
    retention_sessions_days: int = Field(30, ge=1, description="Days a login is kept after it expired or ended")
    retention_declarations_days: int = Field(
        30, ge=15, description="Days earlier declarations are kept (a card's latest is kept while the card is)"
    )
    retention_scans_days: int = Field(
        30, ge=15, description="Days checkpoint scans and the fevers they recorded are kept (the rules look back 14)"
    )
    retention_photos_days: int = Field(
        7, ge=0, description="Days document photos are kept after their application was decided"
    )
    retention_tickets_days: int = Field(180, ge=1, description="Days support tickets are kept")
    support_target_hours: int = Field(
        48, ge=1, description="Hours within which a support ticket should be solved; older open ones are marked late"
    )
    retention_list_days: int = Field(
        90,
        ge=1,
        description="Days list entries are kept after they ended or were cleared, test results after their "
        "sample was taken, and uploaded list files and their reports after the import",
    )
    session_ttl_days: int = Field(30, ge=1, description="Days a resident's device login lasts")
    staff_session_ttl_hours: int = Field(8, ge=1, description="Hours a staff sign-in lasts")
    staff_lockout_threshold: int = Field(5, ge=1, description="Failed staff sign-ins before lockout")
    staff_lockout_minutes: int = Field(15, ge=1, description="Minutes a locked staff account stays locked")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks (CIDR) of the proxies in front of the servers, JSON list; only a request "
            "from one of them is read for X-Forwarded-For, whose rightmost entry not among them is the client"
        ),
    )

    issuer: str = Field(
        "", description="Issuer id in code tokens and the trust list; empty means CN-<HEALTHCODE_REGION_CODE>"
    )
    code_ttl_s: int = Field(180, ge=30, description="Seconds a live code (the QR on a phone) stays valid")
    code_refresh_s: int = Field(60, ge=5, description="Seconds after which the code page fetches a new live code")
    paper_valid_days: int = Field(14, ge=1, description="Days a paper certificate stays valid")
    trusted_lists: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description="Other issuers' trust lists to accept codes from, JSON list: file paths (an operator "
        "downloads each region's /.well-known/healthcode/trust-list.json; there is no fetching) or inline "
        "trust-list objects; a file is re-read when it changes, a bad list stops the server at start-up",
    )
    verify_rate_per_minute: int = Field(600, ge=1, description="Code verifications per client address per minute")
    verify_refresh_s: int = Field(
        60, ge=1, description="Seconds a verifier uses its in-memory keys and revocations before re-reading them"
    )

    @cached_property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """:attr:`trusted_proxies` parsed (checked at start-up by the validator below)."""
        return tuple(ip_network(entry, strict=False) for entry in self.trusted_proxies)

    @model_validator(mode="after")
    def _proxies_are_addresses(self) -> Settings:
        for entry in self.trusted_proxies:
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"HEALTHCODE_TRUSTED_PROXIES: {entry!r} is not an address or a network") from None
        return self

    @model_validator(mode="after")
    def _sms_gateway(self) -> Settings:
        if self.sms_provider == "http" and not self.sms_http_url.startswith(("https://", "http://")):
            raise ValueError("HEALTHCODE_SMS_PROVIDER=http needs HEALTHCODE_SMS_HTTP_URL (https://...)")
        return self

    @model_validator(mode="after")
    def _replicas(self) -> Settings:
        if not self.database_replica_urls:
            return self
        if not self.database_url.startswith("postgresql+asyncpg://"):
            raise ValueError(
                "HEALTHCODE_DATABASE_REPLICA_URLS: replicas need a PostgreSQL primary (postgresql+asyncpg)"
            )
        for url in self.database_replica_urls:
            if not url.startswith("postgresql+asyncpg://"):
                raise ValueError(f"HEALTHCODE_DATABASE_REPLICA_URLS: {url!r} is not a postgresql+asyncpg URL")
        if not self.redis_url:
            raise ValueError(
                "HEALTHCODE_DATABASE_REPLICA_URLS needs HEALTHCODE_REDIS_URL: it tells every server whose changes "
                "must be read from the primary"
            )
        return self

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.env == "prod":
            bad = [n for n in ("secret_key", "audit_key", "index_key") if _weak(getattr(self, n))]
            bad += [
                n for n, check in (("data_keys", _bad_keyring), ("card_key", _bad_card_key)) if check(getattr(self, n))
            ]
            if bad:
                names = ", ".join("HEALTHCODE_" + n.upper() for n in bad)
                raise ValueError(f"{names}: set real secrets in prod (see .env.example for each one's form)")
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

    @model_validator(mode="after")
    def _codes(self) -> Settings:
        if not self.issuer:
            self.issuer = f"CN-{self.region_code}"
        if not ISSUER_PATTERN.fullmatch(self.issuer):
            raise ValueError("HEALTHCODE_ISSUER must be 1-32 characters of A-Z a-z 0-9 . _ : - (e.g. CN-150100)")
        if self.code_refresh_s >= self.code_ttl_s:
            raise ValueError("HEALTHCODE_CODE_REFRESH_S must be shorter than HEALTHCODE_CODE_TTL_S")
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

    @cached_property
    def keyring(self) -> DataKeyring:
        return DataKeyring.parse(self.data_keys)

    @property
    def index_key_bytes(self) -> bytes:
        return self.index_key.encode()

    @property
    def card_key_bytes(self) -> bytes:
        return bytes.fromhex(self.card_key)

    @property
    def card_reference_key(self) -> bytes:
        """Seals the card reference in the tokens this platform issues (derived from the index key)."""
        return reference_key(self.index_key_bytes)

    @property
    def family_limits(self) -> FamilyLimits:
        return FamilyLimits(self.family_max_dependants, self.family_max_guardians)

    @property
    def realname_rules(self) -> RealNameRules:
        return RealNameRules(frozenset(self.realname_review_types))

    @property
    def lockout(self) -> LockoutPolicy:
        return LockoutPolicy(self.staff_lockout_threshold, self.staff_lockout_minutes)

    @property
    def dev_tools(self) -> bool:
        """Developer pages (the SMS outbox) exist only outside prod."""
        return self.env != "prod"


def _weak(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or len(value) < MIN_SECRET_LENGTH


def _bad_keyring(value: str) -> bool:
    try:
        DataKeyring.parse(value)
    except ValueError:
        return True
    return False


def _bad_card_key(value: str) -> bool:
    try:
        return len(bytes.fromhex(value)) != 16
    except ValueError:
        return True


def _throwaway_secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "secrets.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in SECRET_NAMES if n not in kept]
    if missing:
        kept.update({n: SECRET_GENERATORS[n]() for n in missing})
        var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # created readable by the owner alone, never world-readable for a moment
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as kept_file:
            kept_file.write(json.dumps(kept, indent=2))
        path.chmod(0o600)
    return kept
