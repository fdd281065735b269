"""The verification API and the trust list (API.md "Verification API", SPEC §8, §11).

``POST /api/v1/verifications`` needs no login and is rate-limited per client address
(``HEALTHCODE_VERIFY_RATE_PER_MINUTE``, 429 with ``Retry-After``; shared by every server through
``HEALTHCODE_REDIS_URL`` when it is set); it answers from the keys and
revocations the app's :class:`~healthcode.codes.verification.Verifier` holds in memory and does
no database work per request. ``GET /.well-known/healthcode/trust-list.json`` publishes the signed
trust list and ``GET /.well-known/healthcode/revocations.json`` the signed revocation list, each with
an ETag, rebuilt at most every ``HEALTHCODE_VERIFY_REFRESH_S`` (at once after a key change made in
this process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from healthcode.codes.keys import KeyService, active_signing_key
from healthcode.codes.live import CodeIssuer
from healthcode.codes.memory import KeyMemory
from healthcode.codes.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from healthcode.codes.revocations import REVOCATION_LIST_PATH, RevocationService
from healthcode.codes.schemas import VerificationOut, VerificationRequest, verification_out
from healthcode.codes.trust import TRUST_LIST_PATH
from healthcode.codes.verification import Verifier, make_verifier
from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.domain.errors import RateLimited
from healthcode.domain.i18n import N_
from healthcode.kit.deps import RESIDENT_COOKIE, app_context, bearer_or_cookie
from healthcode.kit.own_changes import own_changes_check
from healthcode.kit.requests import client_ip
from healthcode.kit.state import AppContext

TRUST_LIST_MAX_AGE_S = 300
REVOCATION_LIST_MAX_AGE_S = 60
MAX_BODY_BYTES = 4096


@dataclass(frozen=True)
class Published:
    """A signed document as last built: its bytes, ETag, when, and the key-change count then."""

    body: bytes
    etag: str
    built_at: datetime
    key_changes: int


@dataclass
class CodesRuntime:
    """What the feature keeps for the life of the app: what it remembers of keys, the verifier,
    the rate limiter, the check of a session's own changes where replicas serve the display, and
    the signed documents last built, by path."""

    keys: KeyMemory
    verifier: Verifier
    limiter: Limiter
    changed_lately: Callable[[str], Awaitable[bool]] | None
    """Given read replicas: whether a session has just changed something (kit/own_changes.py)."""
    published: dict[str, Published] = field(default_factory=dict)
    issuer: CodeIssuer | None = None
    """The code issuer of the active key, kept until the key changes (the display's every request)."""


def make_runtime(context: AppContext) -> CodesRuntime:
    """Built once with the app (:func:`healthcode.web.features.discover`): the rate limit is
    shared through Redis when the cluster has it. The trusted issuers' lists are read here, so a
    bad one stops the server at start-up with its reason, not at the first scan."""
    settings = context.settings
    keys = KeyMemory()
    keys.files.current(settings)
    rate = settings.verify_rate_per_minute
    limiter: Limiter = (
        RateLimiter(rate) if context.redis is None else SharedRateLimiter(context.redis, "hc:verify:", rate)
    )
    verifier = make_verifier(context.sessionmaker, settings, context.clock, keys)
    return CodesRuntime(keys, verifier, limiter, own_changes_check(context))


def codes_runtime(context: AppContext) -> CodesRuntime:
    """The codes runtime of an app's or a command's context."""
    found: CodesRuntime = context.runtimes["codes"]
    return found


def runtime(request: Request[Any, Any, Any]) -> CodesRuntime:
    """The app's codes runtime (requests of one app share it)."""
    return codes_runtime(app_context(request))


def key_memory(request: Request[Any, Any, Any]) -> KeyMemory:
    """What the app remembers of keys: services that change or use keys in a request take it."""
    return runtime(request).keys


async def code_issuer(request: Request[Any, Any, Any]) -> CodeIssuer:
    """What shows a code for this request, the code endpoint and the code page alike."""
    context = app_context(request)
    codes = codes_runtime(context)
    key = await active_signing_key(context.sessionmaker, context.settings, context.clock, codes.keys)
    issuer = codes.issuer
    if issuer is None or issuer.key is not key:
        issuer = codes.issuer = CodeIssuer(context.lean, context.settings, context.clock, key, codes.changed_lately)
    return issuer


@post(
    "/api/v1/verifications",
    status_code=200,
    request_max_body_size=MAX_BODY_BYTES,
    summary="Verify a code token (no login; rate-limited per client)",
)
async def verify(request: Request[Any, Any, Any], data: JSONBody[VerificationRequest]) -> VerificationOut:
    """``reason`` is ``ok``, ``expired``, ``not_yet_valid``, ``bad_signature``, ``unknown_issuer``,
    ``revoked`` or ``malformed``; ``valid`` is true only for ``ok``. Colour, masked name and document,
    issuer and expiry come back whenever a trusted key vouched for the token (also when it expired or
    was revoked). 429 ``verify_rate_limited`` with ``Retry-After`` beyond the per-client limit."""
    context = app_context(request)
    codes = codes_runtime(context)
    wait = await codes.limiter.hit(client_ip(request, context.settings.proxy_networks), context.clock.now().timestamp())
    if wait:
        raise RateLimited(
            "verify_rate_limited", N_("Too many requests. Wait a moment and try again."), retry_after=wait
        )
    return verification_out(await codes.verifier.verify(data.token))


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` with the weak comparison of RFC 9110 §13.1.2."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


async def published(
    request: Request[Any, Any, Any],
    path: str,
    build: Callable[[AsyncSession, Settings, Clock, KeyMemory], Awaitable[tuple[bytes, str]]],
    max_age: int,
) -> Response[bytes]:
    """A signed public document: rebuilt when older than the verifiers' refresh interval or after
    a key change, answered with its ETag (304 for a matching ``If-None-Match``)."""
    context = app_context(request)
    codes = codes_runtime(context)
    now = context.clock.now()
    cached = codes.published.get(path)
    fresh = timedelta(seconds=context.settings.verify_refresh_s)
    changes = codes.keys.changes
    if cached is None or cached.key_changes != changes or not timedelta(0) <= now - cached.built_at < fresh:
        async with context.sessionmaker() as db:
            body, etag = await build(db, context.settings, context.clock, codes.keys)
        cached = codes.published[path] = Published(body, etag, now, changes)
    headers = {"ETag": cached.etag, "Cache-Control": f"public, max-age={max_age}"}
    if etag_matches(request.headers.get("if-none-match"), cached.etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=cached.body, media_type="application/json", headers=headers)


async def _trust_list(db: AsyncSession, settings: Settings, clock: Clock, keys: KeyMemory) -> tuple[bytes, str]:
    return await KeyService(db, settings, clock, keys).trust_list()


async def _revocation_list(db: AsyncSession, settings: Settings, clock: Clock, keys: KeyMemory) -> tuple[bytes, str]:
    return await RevocationService(db, settings, clock).revocation_list(keys)


# exclude_from_csrf: no CSRF cookie on a public, cacheable document (shared caches skip Set-Cookie).
@get(TRUST_LIST_PATH, summary="This issuer's public keys and the issuers it trusts, signed", exclude_from_csrf=True)
async def trust_list(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A JSON document: ``issuer``, ``keys`` (JWKs: ``kty`` EC, ``crv`` P-256, ``x``, ``y``, ``kid``,
    ``iss``, ``nbf``, ``exp``), ``trusted`` (other issuers' lists as received), ``issued_at`` and
    ``signature`` (ES256 over the canonical JSON of the rest; see docs/adr/0010). ETag and
    ``If-None-Match`` (304); clients may cache it for five minutes."""
    return await published(request, TRUST_LIST_PATH, _trust_list, TRUST_LIST_MAX_AGE_S)


@get(REVOCATION_LIST_PATH, summary="Token ids this issuer revoked, signed", exclude_from_csrf=True)
async def revocation_list(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A JSON document: ``issuer``, ``revoked`` (token ids in hex, sorted; each until the token
    would have expired), ``issued_at`` and ``signature`` (as the trust list's, by one of its keys).
    ETag and ``If-None-Match`` (304); clients may cache it for a minute."""
    return await published(request, REVOCATION_LIST_PATH, _revocation_list, REVOCATION_LIST_MAX_AGE_S)


class CodeOut(msgspec.Struct):
    """API.md: the live token, its colour, when it expires and when to fetch the next one."""

    token: str
    colour: str
    expires_at: datetime
    refresh_after: int


@get("/api/v1/cards/{card_id:str}/code", summary="A live code for one of my cards", tags=["codes"])
async def card_code(request: Request[Any, Any, Any], card_id: FromPath[str]) -> CodeOut:
    """The hot path: one read of the session and the card, one signature. 401 ``unauthenticated``
    without a live login; 404 ``card_not_found`` for a card not on this phone; 409
    ``card_not_approved`` while pending, ``declaration_required`` before the first declaration."""
    # No dependencies: the session is read with the card (healthcode.codes.live), and Litestar
    # resolves two or more dependencies of one level in a task group, a task each.
    issuer = await code_issuer(request)
    code = await issuer.live_code(bearer_or_cookie(request, RESIDENT_COOKIE), card_id)
    return CodeOut(code.token, code.colour, code.expires_at, code.refresh_after)


router = Router(path="/", route_handlers=[verify, trust_list, revocation_list, card_code], tags=["verification"])
