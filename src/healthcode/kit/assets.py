"""Static files under names that change with their content, cached for a year.

Pages refer to a stylesheet or script through :func:`asset_url` (``/assets/site.3f2a9c1b7d.css``):
the name carries a digest of the bytes, so a browser may keep the file for ever (``immutable``)
and a new release is fetched at once under its new name. ``/static/<name>`` keeps serving the same
files under stable names for what cannot carry a digest (a script that loads another by name,
the checkpoint's service worker cache), revalidated on each use.

The code page inlines what it needs to draw the QR (:func:`inline_asset`): on a slow network every
extra file is another round trip before the QR shows.

A stylesheet names another static file as ``url(asset:fonts/x.woff2)``; the digest URL is put in
when the files are read, so the stylesheet, inlined or not, points at a name cached for ever.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from markupsafe import Markup

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
STATIC_CACHE_CONTROL = "no-cache"
"""For ``/static``: kept, but checked with the server (ETag) before each use."""


@dataclass(frozen=True)
class Asset:
    """One static file: its bytes, media type and the name that carries its digest."""

    path: str
    content: bytes
    media_type: str
    hashed_name: str


ASSET_REFERENCE = re.compile(rb"url\(asset:([^)]+)\)")


def _asset(path: Path, resolve: Callable[[str], str] | None = None) -> Asset:
    content = path.read_bytes()
    if resolve is not None:
        content = ASSET_REFERENCE.sub(lambda m: f"url({resolve(m[1].decode())})".encode(), content)
    digest = hashlib.sha256(content).hexdigest()[:10]
    relative = path.relative_to(STATIC_DIR).as_posix()
    stem, dot, suffix = relative.rpartition(".")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    return Asset(relative, content, media_type, f"{stem}.{digest}{dot}{suffix}" if dot else f"{relative}.{digest}")


@cache
def _assets() -> dict[str, Asset]:
    """Every file under ``kit/static``, read once (stylesheets last: they may name the others)."""
    files = sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())
    found = {asset.path: asset for asset in (_asset(p) for p in files if p.suffix != ".css")}

    def resolve(name: str) -> str:
        return f"{ASSETS_PATH}/{found[name].hashed_name}"  # a missing file is a bug: KeyError

    found |= {asset.path: asset for asset in (_asset(p, resolve) for p in files if p.suffix == ".css")}
    return found


@cache
def _by_hashed_name() -> dict[str, Asset]:
    return {asset.hashed_name: asset for asset in _assets().values()}


def asset_url(path: str) -> str:
    """The URL of ``kit/static/<path>`` under its digest name (a missing file is a bug: KeyError)."""
    return f"{ASSETS_PATH}/{_assets()[path].hashed_name}"


def asset_bytes(path: str) -> bytes:
    """The bytes of ``kit/static/<path>``, as read at start-up."""
    return _assets()[path].content


# The files a page may carry inside itself: the Content-Security-Policy names each by its hash
# (healthcode.web.headers), and they are gzipped once (healthcode.kit.compression).
INLINE_SCRIPTS = ("vendor/qrcode-generator-1.4.4.min.js", "code.js")
INLINE_STYLES = ("site.css", "mongolian.css")  # mongolian.css: the code page in Mongolian


def inline_asset(path: str) -> Markup:
    """The text of ``kit/static/<path>``, to put inside a ``<style>`` or ``<script>`` element.
    Refused: a file not named above (the browser would not run it), and a file that could close
    its element early."""
    if path not in INLINE_SCRIPTS + INLINE_STYLES:
        raise ValueError(f"{path} cannot be inlined: it is not one of INLINE_SCRIPTS or INLINE_STYLES")
    return _inlinable(path, asset_bytes(path))


@cache
def _inlinable(path: str, content: bytes) -> Markup:
    """Checked once per file and process (not on every page that inlines it)."""
    text = content.decode()
    if re.search(r"</(script|style)", text, re.IGNORECASE):
        raise ValueError(f"{path} cannot be inlined: it contains a closing script or style tag")
    return Markup(text)  # noqa: S704 - our own static file, checked above, never user input


def inlined_files() -> list[bytes]:
    """The bytes of every file a page may carry inside itself."""
    return [asset_bytes(path) for path in INLINE_SCRIPTS + INLINE_STYLES]


def inline_hash(path: str) -> str:
    """The Content-Security-Policy source naming ``kit/static/<path>`` inlined (``sha256-…``)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(asset_bytes(path)).digest()).decode()


@get(f"{ASSETS_PATH}/{{name:path}}", include_in_schema=False, exclude_from_csrf=True)
async def hashed_asset(name: FromPath[str]) -> Response[bytes]:
    """A static file by its digest name, cached for a year; an old or unknown name is 404."""
    found = _by_hashed_name().get(name.lstrip("/"))
    if found is None:
        raise NotFoundException()
    return Response(found.content, media_type=found.media_type, headers=IMMUTABLE)
