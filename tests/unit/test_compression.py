"""Gzip with inlined files made once (healthcode.kit.compression): whatever the page and wherever
its inlined files sit, the result is one gzip member that decodes to the page."""

import gzip
import zlib

from hypothesis import given
from hypothesis import strategies as st

from healthcode.kit.assets import asset_bytes
from healthcode.kit.compression import LEVEL, _deflated, gzip_with_inlined

CSS = b"body { margin: 0; font: 1rem/1.5 system-ui; }\n" * 200
SCRIPT = ("/* QR */ function draw(token) { return token.split('').map((c) => c.charCodeAt(0)); }\n" * 150).encode()
FILES = [CSS, SCRIPT]


def one_member(compressed: bytes) -> bytes:
    """The text of ``compressed``, which must be exactly one whole gzip member."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = decoder.decompress(compressed)
    assert decoder.eof, "the stream ends with a last block"
    assert decoder.unused_data == b"", "nothing after the member's trailer"
    return text


pieces = st.lists(
    st.one_of(st.binary(max_size=300), st.text(max_size=100).map(str.encode), st.sampled_from(FILES)), max_size=8
)


@given(pieces)
def test_any_page_decodes_to_itself(parts: list[bytes]) -> None:
    page = b"".join(parts)
    assert one_member(gzip_with_inlined(page, FILES)) == page


def test_a_page_of_inlined_files_is_nearly_as_small_as_plain_gzip_and_reuses_their_blocks() -> None:
    """The code page's own files: at most 5 % larger than gzip of the whole, at a fraction of the work."""
    css, qr = asset_bytes("site.css"), asset_bytes("vendor/qrcode-generator-1.4.4.min.js")
    page = b"<!doctype html><style>" + css + b"</style><p>\xe5\x81\xa5\xe5\xba\xb7\xe7\xa0\x81</p><script>"
    page += qr + b"</script><script>draw('HC1:ABC')</script>"
    compressed = gzip_with_inlined(page, [css, qr])
    assert one_member(compressed) == page
    assert len(compressed) <= len(gzip.compress(page, LEVEL)) * 1.05
    assert _deflated(css) in compressed, "each file's blocks, made once"
    assert _deflated(qr) in compressed
    other = page.replace(b"HC1:ABC", b"HC1:XYZ-another-token")
    assert _deflated(qr) in gzip_with_inlined(other, [css, qr])


def test_parts_and_repeats_of_a_file_are_only_text() -> None:
    cut = CSS[: len(CSS) // 2]
    page = cut + b"|" + CSS + CSS + SCRIPT[:100] + CSS[64:]
    assert one_member(gzip_with_inlined(page, FILES)) == page
    assert one_member(gzip_with_inlined(b"", FILES)) == b""
    assert one_member(gzip_with_inlined(page, [])) == page
