"""Security headers on every response: what the browser may load, show in a frame, send as a
referrer, which device features a page may ask for, and that nothing is stored that does not say
it may be.

The Content-Security-Policy allows no inline script or style but the few the code page carries
inside itself (so its QR needs one round trip), named by the SHA-256 of their text
(:func:`healthcode.kit.assets.inline_hash`). Only the checkpoint desk and the walk-in registration
(photos of the document) may ask for the camera.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from healthcode.kit.assets import INLINE_SCRIPTS, INLINE_STYLES, inline_hash

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


RawHeaders = list[tuple[bytes, bytes]]
NO_STORE = (b"cache-control", b"no-store")
"""What a response says of caching when it says nothing itself: personal data and live codes are
never kept by caches or the browser's back-forward store. What may be kept says so (the static
assets, the signed trust and revocation lists, the desk's service worker)."""


def security_headers(hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A before-send hook setting the headers on every response, routing errors included (over
    anything a handler set), and ``Cache-Control: no-store`` where the response set none;
    ``hsts`` (production, behind TLS) adds Strict-Transport-Security. The headers are encoded
    once, here: the hook runs on every answer, the code display's included."""
    policy = content_security_policy()

    def encoded(*, docs: bool, camera: bool) -> RawHeaders:
        pairs = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Permissions-Policy": CAMERA_FEATURES if camera else NO_FEATURES,
        }
        if not docs:  # the API docs page runs the docs' own scripts
            pairs["Content-Security-Policy"] = policy
        if hsts:
            pairs["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return [(name.lower().encode(), value.encode()) for name, value in pairs.items()]

    variants = {(docs, camera): encoded(docs=docs, camera=camera) for docs in (False, True) for camera in (False, True)}
    replaced = {name for name, _ in variants[(False, False)]}

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path: str = scope["path"]
        if scope.get("method") == "OPTIONS":
            headers = MutableScopeHeaders.from_message(message)
            if "allow" in headers:
                headers["Allow"] = allowed_methods(scope) or headers["allow"]
        kept: RawHeaders = []
        cached = False
        for name, value in message.get("headers", ()):
            lower = bytes(name).lower()
            if lower not in replaced:
                kept.append((name, value))
                cached = cached or lower == b"cache-control"
        if not cached:
            kept.append(NO_STORE)
        kept += variants[(path.startswith(DOCS_PATH), path.startswith(CAMERA_PATHS))]
        message["headers"] = kept

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
