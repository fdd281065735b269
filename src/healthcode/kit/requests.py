"""Facts about a request that several features need: client address, language, wants JSON."""

from __future__ import annotations

from collections.abc import Sequence
from http.cookies import SimpleCookie
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, Headers
from litestar.enums import ScopeType
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from healthcode.domain.errors import Malformed
from healthcode.domain.i18n import N_
from healthcode.i18n import LANGUAGES, current_language, negotiate

LANGUAGE_COOKIE = "lang"
LARGE_TEXT_COOKIE = "large_text"


def client_ip(connection: ASGIConnection[Any, Any, Any, Any], proxies: Sequence[IPv4Network | IPv6Network]) -> str:
    """The caller's address. Only a request that comes from one of our ``proxies`` is read for
    ``X-Forwarded-For``, and then the client is its rightmost entry that is not one of them (each
    proxy appends the address it saw; the entries to the left are whatever the client sent)."""
    peer = connection.client.host if connection.client else "unknown"
    if not proxies or not _among(peer, proxies):
        return peer
    forwarded = ",".join(connection.headers.getall("x-forwarded-for", []))  # every line, in order
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _among(hop, proxies):
            return hop[:45]
    return peer


def _among(address: str, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


class PlatformRequest(Request[Any, Any, Any]):
    """Every HTTP request of the app: a JSON body nested too deeply for the decoder (which recurses
    once per level; about 1,000 levels in 2 KB) is refused as unreadable, not left to crash."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise Malformed("invalid_request", N_("The JSON body is nested too deeply to be read.")) from None


def fresh_csrf_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """A new CSRF token in a new cookie, and for this response's own forms: at a login (a token
    from before it must not carry over) and for a page sending a stale form again."""
    config = request.app.csrf_config
    if config is None:  # pragma: no cover - the app always has CSRF protection
        raise RuntimeError("CSRF protection is not configured")
    token = generate_csrf_token(config.secret)
    ScopeState.from_scope(request.scope).csrf_token = token
    return Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )


API_PREFIX = "/api/"
"""The JSON API: outside CSRF protection, so changes there need the bearer token, not the cookie."""


def is_api_path(path: str) -> bool:
    return path.startswith((API_PREFIX, "/.well-known/", "/healthz", "/readyz", "/schema"))


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths are followed after a preference change or login (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def set_language(headers: Headers, default: str) -> None:
    """The request's language: the reader's choice (cookie), else the browser's, else ``default``."""
    cookies = SimpleCookie(headers.get("cookie", ""))
    chosen = cookies[LANGUAGE_COOKIE].value if LANGUAGE_COOKIE in cookies else None
    current_language.set(negotiate(headers.get("accept-language"), chosen, default))


def language_middleware(default: str) -> Any:
    """ASGI middleware that sets the request's language before anything renders a message."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP:
                set_language(Headers.from_scope(scope), default)
            await app(scope, receive, send)

        return middleware

    return factory


def language_tag() -> str:
    return LANGUAGES[current_language.get()].tag
