"""Gzip for every response, and for the pages that inline static files at a fraction of the cost.

Litestar's middleware gzips responses of :data:`MINIMUM_SIZE` bytes or more for clients that
accept it. The code page carries its stylesheet and scripts inside it (:func:`inline_asset`: on a
slow network each other file is a round trip before the QR shows), about 36 of its 39 KB, the same
on every view. Gzipping them afresh took more CPU than making the page itself. A
:class:`PageWithInlinedFiles` is gzipped here instead: each inlined file is compressed once per
process into deflate blocks that start and end on a byte with an empty history (a full flush), and
only the page's own text (a few KB) is compressed per request, flushed the same way around each
file's blocks. The result is one ordinary gzip member (RFC 1952), which any client decodes.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache
from typing import Any

from litestar import Request
from litestar.config.compression import CompressionConfig
from litestar.enums import MediaType
from litestar.response import Template
from litestar.response.base import ASGIResponse

from healthcode.kit.assets import inlined_files

LEVEL = 6
MINIMUM_SIZE = 1024
COMPRESSES_ITSELF = "compresses_itself"
"""The ``opt`` key of a route whose responses are gzipped by :class:`PageWithInlinedFiles`,
so that the middleware leaves them."""
COMPRESSION = CompressionConfig(
    backend="gzip", minimum_size=MINIMUM_SIZE, gzip_compress_level=LEVEL, exclude_opt_key=COMPRESSES_ITSELF
)

_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""A gzip member's header (RFC 1952): deflate, no name, no time, no extra flags, unknown system."""
_PREFIX = 64
"""How much of an inlined file is looked for before the whole is compared."""


@cache
def _deflated(data: bytes) -> bytes:
    """``data`` as raw deflate blocks that refer to nothing before them, ending on a byte with the
    history emptied (not the last block): they fit anywhere in a stream flushed the same way."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _spans(body: bytes, files: list[bytes]) -> list[tuple[int, bytes]]:
    """Where each of ``files`` appears whole in ``body``, in order (the longest first where
    several start at one place)."""
    found = []
    for data in filter(None, files):  # an empty file is found everywhere and is nothing to place
        start = body.find(data[:_PREFIX])
        while start != -1:
            if body.startswith(data, start):
                found.append((start, data))
                start = body.find(data[:_PREFIX], start + len(data))
            else:
                start = body.find(data[:_PREFIX], start + 1)
    return sorted(found, key=lambda span: (span[0], -len(span[1])))


def gzip_with_inlined(body: bytes, files: list[bytes]) -> bytes:
    """``body`` gzipped, the parts of it that are one of ``files`` from blocks made once."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts, done = [_HEADER], 0
    for start, data in _spans(body, files):
        if start < done:  # inside a file already placed (one file's text inside another's)
            continue
        parts += [compressor.compress(body[done:start]), compressor.flush(zlib.Z_FULL_FLUSH), _deflated(data)]
        done = start + len(data)
    trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)  # the text's CRC-32 and length
    parts += [compressor.compress(body[done:]), compressor.flush(), trailer]
    return b"".join(parts)


class PageWithInlinedFiles(Template):
    """A page whose inlined static files are gzipped once per process (the module's text), when
    its route carries ``opt={COMPRESSES_ITSELF: True}``; on any other, the middleware gzips it
    whole. The route's error pages are then sent as they are (a 404 page is 1.3 KB)."""

    def __init__(self, template_name: str, context: dict[str, Any]) -> None:
        super().__init__(template_name, context=context, media_type=MediaType.HTML)  # not guessed per view

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> ASGIResponse:
        response = super().to_asgi_response(app, request, **kwargs)
        if not request.route_handler.opt.get(COMPRESSES_ITSELF):
            return response
        response.headers.extend_header_value("vary", "Accept-Encoding")
        accepted = request.headers.get("accept-encoding", "")  # read as the middleware reads it
        if "gzip" in accepted and len(response.body) >= MINIMUM_SIZE:
            response.body = gzip_with_inlined(response.body, inlined_files())
            response.headers["content-length"] = str(len(response.body))
            response.headers["content-encoding"] = "gzip"
        return response
