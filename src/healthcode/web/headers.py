"""Security headers on every response: what the browser may load, show in a frame, send as a
referrer, and which device features a page may ask for.

The Content-Security-Policy allows no inline script or style but the few the code page carries
inside itself (so its QR needs one round trip), named by the SHA-256 of their text
(:func:`healthcode.kit.assets.inline_hash`). Only the checkpoint desk and the walk-in registration
(photos of the document) may ask for the camera.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from healthcode.kit.assets import inline_hash

INLINE_SCRIPTS = ("vendor/qrcode-generator-1.4.4.min.js", "code.js")
INLINE_STYLES = ("site.css", "mongolian.css")  # mongolian.css: the code page in Mongolian
CAMERA_PATHS = ("/staff/checkpoint", "/staff/walk-ins")
DOCS_PATH = "/schema"
NO_FEATURES = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
CAMERA_FEATURES = NO_FEATURES.replace("camera=()", "camera=(self)")


def content_security_policy() -> str:
    scripts = " ".join(f"'{inline_hash(name)}'" for name in INLINE_SCRIPTS)
    styles = " ".join(f"'{inline_hash(name)}'" for name in INLINE_STYLES)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}",
            f"style-src 'self' {styles}",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A before-send hook adding the headers to every response, routing errors included;
    ``hsts`` (production, behind TLS) adds Strict-Transport-Security."""
    policy = content_security_policy()

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        if scope.get("method") == "OPTIONS" and "allow" in headers:
            headers["Allow"] = allowed_methods(scope) or headers["allow"]
        if not scope["path"].startswith(DOCS_PATH):  # the API docs page runs the docs' own scripts
            headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = CAMERA_FEATURES if scope["path"].startswith(CAMERA_PATHS) else NO_FEATURES
        if hsts:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    return add_headers


def allowed_methods(scope: Scope) -> str | None:
    """Every method of the path an OPTIONS request asked about. Litestar's own answer names only
    the methods of the handlers registered before its OPTIONS handler was made (``/api/v1/cards``
    answered "OPTIONS, POST", leaving out GET); the app's map of handlers by path has them all."""
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if not paths:
        return None
    methods = scope["app"].route_handler_method_map.get(next(iter(paths)), {})
    return ", ".join(sorted({*methods, "OPTIONS"})) if methods else None
