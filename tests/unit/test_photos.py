"""SPEC §3, §12: every uploaded document photo is sniffed, bounded, turned upright and stripped."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pillow_heif
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from healthcode.domain.errors import DomainError, InvalidInput, TooLarge, UnsupportedMedia
from healthcode.photos import images
from healthcode.photos.images import ACCEPTED, MAX_SIDE, CleanImage, clean_photo

MB = 1024 * 1024
LIMIT = 10 * MB
GPS = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
SECRET = b"secret-metadata-marker"


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def phone_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = GPS
    return exif


def two_tone(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: shows which way the pixels were turned."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image.convert(mode)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` but carries almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def reopen(clean: CleanImage) -> Image.Image:
    image = Image.open(io.BytesIO(clean.content))
    image.load()
    return image


def assert_no_metadata(clean: CleanImage) -> None:
    image = reopen(clean)
    assert len(image.getexif()) == 0
    for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info
    assert b"Exif\x00\x00" not in clean.content
    assert SECRET not in clean.content
    assert b"PhoneMaker" not in clean.content


def refused(data: bytes, **limits: int) -> DomainError:
    with pytest.raises(DomainError) as caught:
        clean_photo(data, max_bytes=limits.pop("max_bytes", LIMIT), **limits)
    return caught.value


def test_accepted_types_are_named_by_content() -> None:
    assert ACCEPTED == ("image/jpeg", "image/png", "image/heic")


def test_phone_jpeg_loses_exif_and_gps_and_is_stored_upright() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encode(
        two_tone((40, 20)),
        "JPEG",
        exif=phone_exif(orientation=6),
        comment=SECRET,
        icc_profile=icc,
        xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
    )
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(0x8825) == GPS  # the fixture really has GPS

    clean = clean_photo(upload, max_bytes=LIMIT)

    assert clean.media_type == "image/jpeg"
    assert (clean.width, clean.height) == (20, 40)  # orientation 6: turned a quarter clockwise
    assert_no_metadata(clean)
    stored = reopen(clean)
    assert stored.format == "JPEG"
    assert stored.size == (20, 40)
    assert stored.getexif().get_ifd(0x8825) == {}
    # the left (red) edge of the sideways photo is now its top
    top = stored.convert("RGB").getpixel((10, 5))
    bottom = stored.convert("RGB").getpixel((10, 35))
    assert top[0] > 200  # type: ignore[index]
    assert bottom[2] > 200  # type: ignore[index]


def test_png_loses_text_chunks_and_stays_png() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET.decode())
    info.add_text("Comment", SECRET.decode(), zip=True)
    info.add_itxt("Description", SECRET.decode(), lang="zh", tkey="说明")
    upload = encode(two_tone((30, 10)), "PNG", pnginfo=info, exif=phone_exif(orientation=1))
    assert Image.open(io.BytesIO(upload)).text["Author"] == SECRET.decode()  # type: ignore[attr-defined]

    clean = clean_photo(upload, max_bytes=LIMIT)

    assert clean.media_type == "image/png"
    assert (clean.width, clean.height) == (30, 10)
    stored = reopen(clean)
    assert stored.format == "PNG"
    assert stored.text == {}  # type: ignore[attr-defined]
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk not in clean.content
    assert_no_metadata(clean)


def heic_can_be_encoded() -> bool:
    return bool(pillow_heif.libheif_info()["HEIF"])


@pytest.mark.skipif(not heic_can_be_encoded(), reason="this libheif build has no HEVC encoder to make a HEIC sample")
def test_heic_is_converted_to_jpeg_without_metadata() -> None:
    upload = encode(two_tone((64, 32)), "HEIF", exif=phone_exif(orientation=1), quality=90)
    assert images.sniff(upload) == "image/heic"

    clean = clean_photo(upload, max_bytes=LIMIT)

    assert clean.media_type == "image/jpeg"
    assert clean.content.startswith(b"\xff\xd8\xff")
    assert (clean.width, clean.height) == (64, 32)
    assert reopen(clean).format == "JPEG"
    assert_no_metadata(clean)


@pytest.mark.skipif(not heic_can_be_encoded(), reason="this libheif build has no HEVC encoder to make a HEIC sample")
def test_heic_with_transparency_becomes_jpeg_on_white() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    clean = clean_photo(encode(image, "HEIF"), max_bytes=LIMIT)
    assert clean.media_type == "image/jpeg"
    stored = reopen(clean)
    assert stored.mode == "RGB"
    assert min(stored.getpixel((16, 16))) > 240  # type: ignore[arg-type]


@pytest.mark.skipif(not heic_can_be_encoded(), reason="this libheif build has no HEVC encoder to make a HEIC sample")
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) * 2 // 3], id="cut-short"),
        pytest.param(lambda data: data[:40] + b"\x00" * 200, id="header-then-zeros"),
    ],
)
def test_damaged_heic_is_unreadable(damage: Callable[[bytes], bytes]) -> None:
    error = refused(damage(encode(two_tone((64, 32)), "HEIF")))
    assert isinstance(error, UnsupportedMedia)
    assert (error.code, error.field) == ("photo_unreadable", "file")


def avif_header() -> bytes:
    """An ISO-BMFF ``ftyp`` box of AVIF: shares ``mif1`` with HEIF, but is not HEIC."""
    brands = b"avif" + b"\x00\x00\x00\x00" + b"mif1" + b"miaf"
    return struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands + b"\x00" * 64


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(encode(Image.new("P", (8, 8)), "GIF"), id="gif"),
        pytest.param(encode(Image.new("RGB", (8, 8)), "WEBP"), id="webp"),
        pytest.param(encode(Image.new("RGB", (8, 8)), "BMP"), id="bmp"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
        pytest.param("身份证正面.jpg — just text".encode(), id="text"),
        pytest.param(b"\xff\xd8\xff" + b"not really a jpeg" * 50, id="jpeg-magic-on-garbage"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 50, id="png-signature-without-ihdr"),
        pytest.param(avif_header(), id="avif"),
        pytest.param(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41" + b"\x00" * 64, id="mp4"),
    ],
)
def test_other_kinds_are_refused_by_content(upload: bytes) -> None:
    error = refused(upload)
    assert isinstance(error, UnsupportedMedia)
    assert (error.code, error.field) == ("photo_type", "file")
    assert "JPEG, PNG or HEIC" in error.message
    assert error.params == {"accepted": list(ACCEPTED)}


def test_empty_upload() -> None:
    error = refused(b"")
    assert isinstance(error, InvalidInput)
    assert (error.code, error.field) == ("photo_empty", "file")


def test_size_is_checked_before_any_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_decode(*_args: object, **_kwargs: object) -> Image.Image:
        raise AssertionError("decoded an over-size upload")

    monkeypatch.setattr(Image, "open", must_not_decode)
    # a real JPEG header in front of 10 MB and one byte: refused on length alone
    error = refused(b"\xff\xd8\xff\xe0" + b"\x00" * (LIMIT + 1 - 4), max_bytes=LIMIT)
    assert isinstance(error, TooLarge)
    assert (error.code, error.field) == ("photo_too_large", "file")
    assert error.params == {"max_mb": 10}


def test_size_limit_is_inclusive_and_reported_in_readable_megabytes() -> None:
    upload = encode(Image.new("RGB", (8, 8)), "PNG")
    assert clean_photo(upload, max_bytes=len(upload)).media_type == "image/png"
    error = refused(upload, max_bytes=len(upload) - 1)
    assert error.code == "photo_too_large"
    assert refused(bytes(5 * MB), max_bytes=int(4.8 * MB)).params == {"max_mb": 4.8}


@pytest.mark.parametrize(
    ("upload", "max_pixels"),
    [
        pytest.param(png_header(20_000, 20_000), 40_000_000, id="20000x20000-over-pillows-own-limit"),
        pytest.param(png_header(8_000, 6_000), 40_000_000, id="48-megapixels"),
        pytest.param(encode(Image.new("RGB", (64, 48)), "JPEG"), 3_000, id="real-jpeg-over-a-low-limit"),
    ],
)
def test_too_many_pixels_is_refused_before_decoding(upload: bytes, max_pixels: int) -> None:
    # the declared bombs carry no pixel data: decoding them would have said "unreadable" instead
    error = refused(upload, max_pixels=max_pixels)
    assert isinstance(error, TooLarge)
    assert (error.code, error.field) == ("photo_dimensions", "file")


def test_pixel_limit_is_reported_in_megapixels() -> None:
    assert refused(png_header(8_000, 6_000)).params == {"max_megapixels": 40}


NOISE = Image.effect_noise((400, 300), 60).convert("RGB")


@pytest.mark.parametrize(
    ("fmt", "cut"),
    [
        pytest.param("JPEG", lambda data: data[: len(data) // 2], id="jpeg-half"),
        pytest.param("JPEG", lambda data: data[:200], id="jpeg-header-only"),
        pytest.param("PNG", lambda data: data[: len(data) // 2], id="png-half"),
        pytest.param("PNG", lambda data: data[:40], id="png-header-only"),
        pytest.param("PNG", lambda data: data[:33] + b"\x00" * 500, id="png-header-then-zeros"),
    ],
)
def test_truncated_photo_is_unreadable(fmt: str, cut: Callable[[bytes], bytes]) -> None:
    error = refused(cut(encode(NOISE, fmt)))
    assert isinstance(error, UnsupportedMedia)
    assert (error.code, error.field) == ("photo_unreadable", "file")
    assert "again" in error.message


def test_large_photo_is_scaled_to_the_long_side_limit() -> None:
    upload = encode(two_tone((5000, 3000)), "JPEG", quality=80)
    clean = clean_photo(upload, max_bytes=LIMIT)
    assert MAX_SIDE == 2048
    # decoded at half size (2500 x 1500), then scaled to the limit
    assert (clean.width, clean.height) == (2048, 1229)
    assert reopen(clean).size == (2048, 1229)


def test_large_sideways_photo_is_scaled_then_turned() -> None:
    upload = encode(two_tone((5000, 3000)), "JPEG", quality=80, exif=phone_exif(orientation=8))
    clean = clean_photo(upload, max_bytes=LIMIT)
    assert (clean.width, clean.height) == (1229, 2048)


@pytest.mark.parametrize(
    ("size", "stored"),
    [
        pytest.param((4000, 3000), (2000, 1500), id="12-megapixel-phone-at-half"),
        pytest.param((4032, 3024), (2016, 1512), id="iphone-12-megapixel-at-half"),
        pytest.param((8064, 6048), (2016, 1512), id="48-megapixel-at-a-quarter"),
    ],
)
def test_phone_jpeg_is_decoded_at_reduced_scale_without_resampling(
    size: tuple[int, int], stored: tuple[int, int]
) -> None:
    # scaled by Pillow instead, the long side would be exactly MAX_SIDE
    upload = encode(two_tone(size), "JPEG", quality=70)
    clean = clean_photo(upload, max_bytes=LIMIT, max_pixels=50_000_000)
    assert (clean.width, clean.height) == stored


def test_reduced_scale_phone_jpeg_is_turned_upright() -> None:
    upload = encode(two_tone((4000, 3000)), "JPEG", quality=70, exif=phone_exif(orientation=6))
    clean = clean_photo(upload, max_bytes=LIMIT)
    assert (clean.width, clean.height) == (1500, 2000)
    assert_no_metadata(clean)
    stored = reopen(clean).convert("RGB")
    assert stored.getpixel((750, 100))[0] > 200  # type: ignore[index]  # red, the left edge, on top
    assert stored.getpixel((750, 1900))[2] > 200  # type: ignore[index]


@pytest.mark.parametrize(
    ("max_pixels", "refused_at"),
    [
        pytest.param(1_000_000, 8, id="declared-over-8-times-the-limit"),
        pytest.param(2_000_000, 2, id="decoded-half-size-over-the-limit"),
    ],
)
def test_jpeg_pixel_limits_count_what_is_decoded(max_pixels: int, refused_at: int) -> None:
    upload = encode(two_tone((4000, 3000)), "JPEG", quality=50)  # 12 MP declared, 3 MP decoded
    assert clean_photo(upload, max_bytes=LIMIT, max_pixels=3_000_000).width == 2000
    error = refused(upload, max_pixels=max_pixels)
    assert isinstance(error, TooLarge)
    assert error.code == "photo_dimensions"
    assert error.params == {"max_megapixels": refused_at}


def test_png_of_the_issue_is_refused_by_its_header_when_over_the_limit() -> None:
    # 6300 x 6300 declared in a few hundred bytes: refused before a byte of pixels is decoded
    error = refused(png_header(6300, 6300), max_pixels=39_000_000)
    assert isinstance(error, TooLarge)
    assert error.params == {"max_megapixels": 39}


def test_small_photo_keeps_its_size() -> None:
    clean = clean_photo(encode(two_tone((1200, 800)), "PNG"), max_bytes=LIMIT)
    assert (clean.width, clean.height) == (1200, 800)


@pytest.mark.parametrize(
    ("image", "fmt", "media_type", "mode"),
    [
        pytest.param(two_tone((16, 16), "CMYK"), "JPEG", "image/jpeg", "RGB", id="cmyk-jpeg"),
        pytest.param(two_tone((16, 16), "L"), "JPEG", "image/jpeg", "L", id="grey-jpeg"),
        pytest.param(two_tone((16, 16), "P"), "PNG", "image/png", "RGB", id="palette-png"),
        pytest.param(Image.new("LA", (16, 16), (128, 100)), "PNG", "image/png", "RGBA", id="grey-alpha-png"),
        pytest.param(Image.new("RGBA", (16, 16), (1, 2, 3, 4)), "PNG", "image/png", "RGBA", id="rgba-png"),
        pytest.param(Image.new("1", (16, 16), 1), "PNG", "image/png", "RGB", id="bilevel-png"),
    ],
)
def test_modes_are_converted_to_what_the_output_stores(
    image: Image.Image, fmt: str, media_type: str, mode: str
) -> None:
    clean = clean_photo(encode(image, fmt), max_bytes=LIMIT)
    assert clean.media_type == media_type
    assert reopen(clean).mode == mode


def test_palette_png_with_transparency_keeps_it() -> None:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    image.info["transparency"] = 0
    stored = reopen(clean_photo(encode(image, "PNG", transparency=0), max_bytes=LIMIT))
    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0))[3] == 0  # type: ignore[index]


def test_sixteen_bit_grey_png_keeps_its_tones() -> None:
    image = Image.new("I;16", (8, 8), 0x8000)
    stored = reopen(clean_photo(encode(image, "PNG"), max_bytes=LIMIT))
    assert stored.mode == "L"
    assert stored.getpixel((0, 0)) == 0x80
