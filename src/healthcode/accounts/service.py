"""Use cases of resident login: send a code, log in with it, list and end device sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.config import Settings
from healthcode.db.locks import lock_key
from healthcode.db.models import AuthSession, Resident, SmsChallenge, SmsQuotaReset
from healthcode.domain import sms
from healthcode.domain.clock import Clock, local_day_bounds
from healthcode.domain.i18n import N_
from healthcode.domain.phone import normalize_mobile
from healthcode.i18n import translate
from healthcode.sessions.service import PrincipalKind, SessionStore, not_logged_in
from healthcode.sms.provider import SmsProvider

LOGIN_TEXT = N_("[Health Code] Your login code is {code}. It expires in {minutes} minutes. Never share it.")


@dataclass(frozen=True)
class CodeSent:
    """What the resident is told after a send."""

    phone: str
    expires_in: int
    quota: sms.SendQuota


@dataclass(frozen=True)
class LoggedIn:
    """A new device session: the token is shown to the client once and never stored."""

    token: str
    session: AuthSession
    resident: Resident


async def get_resident(db: AsyncSession, resident_id: int) -> Resident:
    """The resident behind a live session; a deleted account reads as logged out."""
    resident = await db.get(Resident, resident_id)
    if resident is None:
        raise not_logged_in()
    return resident


class LoginService:
    """Phone-number login. Limits come from :mod:`healthcode.domain.sms`; this class only reads
    the facts those rules need and records the outcome."""

    def __init__(self, db: AsyncSession, settings: Settings, clock: Clock, provider: SmsProvider):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.provider = provider
        self.limits = settings.sms_limits
        self.key = settings.secret_key.encode()

    async def _history(self, phone: str, client_ip: str, now: datetime) -> sms.SendHistory:
        day_start, _ = local_day_bounds(now, self.settings.zone)
        reset = await self.db.scalar(
            select(func.max(SmsQuotaReset.reset_at)).where(
                SmsQuotaReset.phone == phone, SmsQuotaReset.reset_at >= day_start
            )
        )
        counted_from = reset or day_start
        sent_today, _ = (
            await self.db.execute(
                select(func.count(), func.max(SmsChallenge.sent_at)).where(
                    SmsChallenge.phone == phone, SmsChallenge.sent_at >= counted_from
                )
            )
        ).one()
        last_sent = await self.db.scalar(
            select(func.max(SmsChallenge.sent_at)).where(SmsChallenge.phone == phone, SmsChallenge.sent_at >= day_start)
        )
        ip_count, ip_oldest = (
            await self.db.execute(
                select(func.count(), func.min(SmsChallenge.sent_at)).where(
                    SmsChallenge.client_ip == client_ip, SmsChallenge.sent_at > now - sms.IP_WINDOW
                )
            )
        ).one()
        return sms.SendHistory(sent_today, last_sent, ip_count, ip_oldest)

    async def quota(self, phone_raw: str, client_ip: str) -> sms.SendQuota:
        """The number's quota now, without sending anything."""
        phone = normalize_mobile(phone_raw)
        now = self.clock.now()
        history = await self._history(phone, client_ip, now)
        return sms.current_quota(history, self.limits, now, local_day_bounds(now, self.settings.zone)[1])

    async def send_code(self, phone_raw: str, client_ip: str, language: str) -> CodeSent:
        """Send a fresh code if the limits allow; raise a typed error that says when otherwise."""
        phone = normalize_mobile(phone_raw)
        # The address's budget first, then the number's (every sender locks in this order): two
        # servers sending to different numbers for one address count each other's sends.
        await lock_key(self.db, f"sms-ip:{client_ip}")
        await lock_key(self.db, f"sms:{phone}")
        now = self.clock.now()
        history = await self._history(phone, client_ip, now)
        day_end = local_day_bounds(now, self.settings.zone)[1]
        quota = sms.authorize_send(history, self.limits, now, day_end)
        code = sms.new_code()
        self.db.add(
            SmsChallenge(
                phone=phone,
                client_ip=client_ip,
                code_hash=sms.hash_code(self.key, phone, code),
                sent_at=now,
                expires_at=now + timedelta(seconds=self.limits.code_ttl_s),
                attempts=0,
            )
        )
        text = translate(LOGIN_TEXT, language, code=code, minutes=self.limits.code_ttl_s // 60)
        await self.provider.send(phone, text, code=code)
        await self.db.commit()
        return CodeSent(phone, self.limits.code_ttl_s, quota)

    async def log_in(self, phone_raw: str, code_raw: str, *, device: str, client_ip: str) -> LoggedIn:
        """Check the code against the number's latest challenge and open a device session."""
        phone = normalize_mobile(phone_raw)
        code = sms.parse_code(code_raw)
        await lock_key(self.db, f"sms:{phone}")
        row = await self.db.scalar(
            select(SmsChallenge).where(SmsChallenge.phone == phone).order_by(SmsChallenge.id.desc()).limit(1)
        )
        challenge = sms.Challenge(row.code_hash, row.expires_at, row.attempts, row.used_at is not None) if row else None
        now = self.clock.now()
        verdict = sms.judge_code(challenge, sms.hash_code(self.key, phone, code), self.limits, now)
        if row is None or verdict is not sms.CodeVerdict.OK:
            attempts_left = 0
            if verdict is sms.CodeVerdict.WRONG and row is not None:
                row.attempts += 1
                attempts_left = self.limits.max_attempts - row.attempts
            await self.db.commit()
            raise sms.verdict_error(verdict, attempts_left, self.limits)
        row.used_at = now
        resident = await self.db.scalar(select(Resident).where(Resident.phone == phone))
        if resident is None:
            resident = Resident(phone=phone, created_at=now)
            self.db.add(resident)
            await self.db.flush()
        resident.last_login_at = now
        token, session = await SessionStore(self.db, self.clock).open(
            PrincipalKind.RESIDENT,
            resident.id,
            timedelta(days=self.settings.session_ttl_days),
            device=device,
            client_ip=client_ip,
        )
        await self.db.commit()
        return LoggedIn(token, session, resident)
