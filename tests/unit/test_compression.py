"""Gzip with inlined files made once (healthcode.kit.compression): whatever the page and wherever
its inlined files sit, the result is one gzip member that decodes to the page."""

import gzip
import secrets
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from litestar.testing import TestClient

from healthcode.kit.assets import asset_bytes
from healthcode.kit.compression import COMPRESSES_ITSELF, COMPRESSION, LEVEL, PageWithInlinedFiles, _deflated
from healthcode.kit.compression import gzip_with_inlined as gzipped
from tests.factories import one_gzip_member

CSS = b"body { margin: 0; font: 1rem/1.5 system-ui; }\n" * 200
SCRIPT = ("/* QR */ function draw(token) { return token.split('').map((c) => c.charCodeAt(0)); }\n" * 150).encode()
INSIDE = CSS[100:400]
"""A file whose text is inside another's."""
SHORT = b"body { ma"
"""A file shorter than the prefix looked for, the start of another."""
FILES = [CSS, SCRIPT, INSIDE, SHORT, b""]

pieces = st.lists(
    st.one_of(st.binary(max_size=300), st.text(max_size=100).map(str.encode), st.sampled_from(FILES)), max_size=8
)


@given(pieces)
def test_any_page_decodes_to_itself(parts: list[bytes]) -> None:
    page = b"".join(parts)
    assert one_gzip_member(gzipped(page, FILES)) == page


def test_a_page_of_inlined_files_is_nearly_as_small_as_plain_gzip_and_reuses_their_blocks() -> None:
    """The code page's own files: at most 5 % larger than gzip of the whole, at a fraction of the work."""
    css, qr = asset_bytes("site.css"), asset_bytes("vendor/qrcode-generator-1.4.4.min.js")
    page = b"<!doctype html><style>" + css + b"</style><p>\xe5\x81\xa5\xe5\xba\xb7\xe7\xa0\x81</p><script>"
    page += qr + b"</script><script>draw('HC1:ABC')</script>"
    compressed = gzipped(page, [css, qr])
    assert one_gzip_member(compressed) == page
    assert len(compressed) <= len(gzip.compress(page, LEVEL)) * 1.05
    assert _deflated(css) in compressed, "each file's blocks, made once"
    assert _deflated(qr) in compressed
    other = page.replace(b"HC1:ABC", b"HC1:XYZ-another-token")
    assert _deflated(qr) in gzipped(other, [css, qr])


def test_a_file_inside_another_parts_and_repeats_of_a_file_are_placed_once_or_are_text() -> None:
    page = CSS[: len(CSS) // 2] + b"|" + CSS + CSS + SCRIPT[:100] + CSS[64:]
    compressed = gzipped(page, FILES)
    assert one_gzip_member(compressed) == page
    assert compressed.count(_deflated(CSS)) == 2
    assert _deflated(INSIDE) not in compressed, "inside a file already placed"
    assert one_gzip_member(gzipped(INSIDE + b"|" + CSS, [CSS, INSIDE])) == INSIDE + b"|" + CSS
    assert one_gzip_member(gzipped(b"", FILES)) == b""
    assert one_gzip_member(gzipped(page, [])) == page


def test_the_page_is_gzipped_once_whether_or_not_its_route_says_it_compresses_itself(tmp_path: Path) -> None:
    """On a route without the option the middleware gzips it whole; never twice."""
    (tmp_path / "page.html").write_text("<!doctype html><p>{{ text }}</p>")
    text = "健康码 " + secrets.token_hex(2000)  # still over the middleware's minimum once gzipped

    @get("/own", opt={COMPRESSES_ITSELF: True})
    async def own() -> Any:
        return PageWithInlinedFiles("page.html", {"text": text})

    @get("/whole")
    async def whole() -> Any:
        return PageWithInlinedFiles("page.html", {"text": text})

    app = Litestar(
        [own, whole],
        compression_config=COMPRESSION,
        template_config=TemplateConfig(directory=tmp_path, engine=JinjaTemplateEngine),
    )
    with TestClient(app) as client:
        for path in ("/own", "/whole"):
            response = client.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.headers["content-encoding"] == "gzip", path
            assert response.headers["vary"] == "Accept-Encoding", path
            assert response.text == f"<!doctype html><p>{text}</p>", path
