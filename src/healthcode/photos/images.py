"""Cleaning an uploaded document photo before it is encrypted and stored (SPEC §3, §12).

Every photo is judged by its content, never by its filename or the content type the client
claims: the bytes are sniffed, decoded by the one Pillow plugin for that kind, and the pixels
re-encoded into a fresh file. Re-encoding is what strips metadata: EXIF (with the GPS position
a phone writes), XMP, ICC profiles, JPEG comments and PNG text chunks never reach the new file.

A phone's 12-megapixel JPEG is decoded at half its size (libjpeg's DCT scaling: less work and a
quarter of the memory), since the stored photo is no larger than that anyway; docs/adr/0018
gives the figures behind this and the alternative measured (keeping the original JPEG's pixels).

Pure function of the bytes; decoding is CPU work, so callers on an event loop go through
:func:`healthcode.photos.decoding.clean_photo_bounded`, which runs it in a worker thread and
bounds how many run at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from healthcode.domain.errors import InvalidInput, TooLarge, UnsupportedMedia
from healthcode.domain.i18n import N_

ACCEPTED = ("image/jpeg", "image/png", "image/heic")
"""Media types a photo may have, as judged from its content."""

MAX_SIDE = 2048
"""Longest side of a stored photo in pixels: a document stays legible, storage stays small."""

MIN_DRAFT_SIDE = 1920
"""A JPEG is decoded at 1/2, 1/4 or 1/8 of its size when its longer side keeps at least this
many pixels: 4000 x 3000 phone photos decode straight to 2000 x 1500, with no resampling."""

JPEG_DECLARED_FACTOR = 8
"""A JPEG may declare this many times the pixel limit (phones' 108 and 200 megapixel modes): it
is decoded at reduced scale, and the decoded pixels must be within the limit."""

MAX_PIXELS = 40_000_000
"""Most pixels a photo may be decoded to: a 40-megapixel PNG holds about 240 MB while decoded."""

JPEG_QUALITY = 85

# Pillow plugin that may decode each accepted type: nothing else gets a look at the bytes.
_PLUGIN = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF"}

# PNG's signature, then its mandatory first chunk: IHDR, 13 bytes long. Requiring the chunk too
# tells a PNG cut short (unreadable) from a signature glued on something else (wrong type).
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# ISO-BMFF brands of HEVC-coded HEIF (what phones write as .heic) and the generic HEIF brands.
_HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
# AVIF shares the generic HEIF brands but is a different codec, which this platform does not take.
_AVIF_BRANDS = frozenset({b"avif", b"avis", b"avio"})

# HEIC decoding comes from pillow-heif; registering is idempotent.
pillow_heif.register_heif_opener()


@dataclass(frozen=True)
class CleanImage:
    """A photo fit to store: re-encoded pixels without any metadata."""

    content: bytes
    media_type: str  # "image/jpeg" or "image/png"; HEIC is converted to JPEG
    width: int
    height: int


def clean_photo(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """Check an uploaded photo and return it re-encoded, upright and without metadata.

    Checks run cheapest first, so hostile input costs little: the byte size before anything is
    decoded, then the type from the magic numbers, then the pixel count from the header (a small
    file can declare a huge image, a "decompression bomb"), and only then the pixels. A JPEG is
    decoded at reduced scale where the stored photo is smaller (see :func:`_draft`): it may
    declare up to :data:`JPEG_DECLARED_FACTOR` times ``max_pixels``, and what is decoded must
    stay within ``max_pixels``; PNG and HEIC are decoded whole, so their header must.

    The EXIF orientation is applied, so a photo taken with the phone held sideways is stored
    upright. Photos larger than :data:`MAX_SIDE` pixels on their longer side are scaled down to
    it: a document photo needs no more, and the stored copy stays small. JPEG is re-saved at
    quality 85, PNG re-saved optimised, and HEIC converted to JPEG so every reviewer's browser
    can show it.

    Raises :class:`TooLarge` (``photo_too_large``, ``photo_dimensions``), :class:`InvalidInput`
    (``photo_empty``) or :class:`UnsupportedMedia` (``photo_type``, ``photo_unreadable``).
    """
    if len(data) > max_bytes:
        raise TooLarge(
            "photo_too_large",
            N_("The photo is larger than {max_mb} MB. Choose a smaller photo or take it again."),
            field="file",
            max_mb=_megabytes(max_bytes),
        )
    if not data:
        raise InvalidInput("photo_empty", N_("The photo is empty. Choose the photo again."), field="file")
    media_type = sniff(data)
    if media_type is None:
        raise _wrong_type()
    output_type = "image/png" if media_type == "image/png" else "image/jpeg"
    image = _open(data, media_type, max_pixels)
    try:
        try:
            pixels = _prepare(image, output_type)
        except Image.DecompressionBombError:
            raise _too_many_pixels(max_pixels) from None
        except Exception as exc:
            # Decoders of hostile input fail in many ways (OSError, ValueError, struct.error, ...);
            # all mean the same to the resident. The cause stays chained for whoever debugs.
            raise _unreadable() from exc
        return _encode(pixels, output_type)
    finally:
        # the decoded pixels' memory goes back at once, not when the garbage collector runs
        image.close()


def sniff(data: bytes) -> str | None:
    """The accepted media type ``data`` starts like, or ``None``; judged from magic numbers only."""
    if data.startswith(_JPEG_SIGNATURE):
        return "image/jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "image/png"
    if _is_heic(data):
        return "image/heic"
    return None


def _is_heic(data: bytes) -> bool:
    """Whether ``data`` opens with an ISO-BMFF ``ftyp`` box naming a HEIC (HEVC-in-HEIF) brand."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[0:4], "big")
    if box_size < 16 or box_size > len(data):
        return False
    # major brand, then (after the 4-byte minor version) the compatible brands
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    if brands & _HEVC_BRANDS:
        return True
    return bool(brands & _HEIF_BRANDS) and not brands & _AVIF_BRANDS


def _open(data: bytes, media_type: str, max_pixels: int) -> Image.Image:
    """Read the header only (Pillow decodes pixels lazily) and refuse images with too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=[_PLUGIN[media_type]])
    except Image.DecompressionBombError:
        # Pillow's own, looser limit, hit while reading the header
        raise _too_many_pixels(max_pixels) from None
    except UnidentifiedImageError as exc:
        # The plugin found no image behind the signature. JPEG's is three bytes, which junk can
        # start with by chance or design: no valid JPEG segments means not a JPEG. The PNG and
        # HEIC signatures are structured (IHDR chunk, ftyp brands), so there it is a damaged photo.
        if media_type == "image/jpeg":
            raise _wrong_type() from None
        raise _unreadable() from exc
    except Exception as exc:
        # a header the plugin recognised but could not finish reading, e.g. a file cut short
        raise _unreadable() from exc
    if media_type == "image/jpeg":
        _refuse_over(image, max_pixels * JPEG_DECLARED_FACTOR)
        _draft(image)
    _refuse_over(image, max_pixels)
    return image


def _refuse_over(image: Image.Image, max_pixels: int) -> None:
    if image.width * image.height > max_pixels:
        image.close()
        raise _too_many_pixels(max_pixels)


def _draft(image: Image.Image) -> None:
    """Have libjpeg decode at the smallest DCT scale that keeps :data:`MIN_DRAFT_SIDE` pixels.

    Only the header has been read: this changes what the decoder will produce, and ``image.size``
    becomes the reduced size at once.
    """
    width, height = image.size
    scale = next((s for s in (8, 4, 2) if max(width, height) // s >= MIN_DRAFT_SIDE), 1)
    if scale > 1:
        image.draft(None, (max(1, width // scale), max(1, height // scale)))


def _prepare(image: Image.Image, output_type: str) -> Image.Image:
    """Decode, scale down, turn upright and convert to a mode the output format stores."""
    image = _flatten_palette(image)
    # A square box bounds the longer side whatever the orientation, so scaling may come before
    # turning (JPEGs already come out of the decoder at about this size, see _draft).
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    ImageOps.exif_transpose(image, in_place=True)
    image = _output_mode(image, output_type)
    # Pillow's savers take some metadata from ``info`` when not told otherwise (the JPEG comment
    # does): an empty one means nothing of the original (EXIF, XMP, ICC, comments, text chunks)
    # can be carried into the saved file. The encoders are given no metadata either.
    image.info = {}
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _flatten_palette(image: Image.Image) -> Image.Image:
    """Palette, bilevel and 16-bit images to plain RGB(A)/L, which resample smoothly."""
    if image.mode in ("L", "RGB", "RGBA", "CMYK", "YCbCr"):
        return image
    if image.mode.startswith("I;16"):
        # Pillow clips 16-bit values when converting to 8 bits; keep the high byte instead.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _output_mode(image: Image.Image, output_type: str) -> Image.Image:
    alpha = _has_alpha(image)
    if output_type == "image/png":
        if image.mode in ("L", "RGB") and not alpha:
            return image
        return image.convert("RGBA" if alpha else "RGB")
    if alpha:
        # JPEG has no transparency: put transparent parts on white, as paper would show them.
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")


def _encode(image: Image.Image, output_type: str) -> CleanImage:
    out = io.BytesIO()
    if output_type == "image/png":
        image.save(out, "PNG", optimize=True)
    else:
        # Huffman optimisation would save 7 % of the bytes for twice the encoding time.
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    return CleanImage(content=out.getvalue(), media_type=output_type, width=image.width, height=image.height)


def _megabytes(size: int) -> int | float:
    """A byte limit in MB as residents read it."""
    return _rounded(size / (1024 * 1024))


def _rounded(value: float) -> int | float:
    """``10`` rather than ``10.0``, ``4.8`` for odd limits."""
    rounded = round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _wrong_type() -> UnsupportedMedia:
    return UnsupportedMedia(
        "photo_type", N_("Upload a photo in JPEG, PNG or HEIC format."), field="file", accepted=list(ACCEPTED)
    )


def _unreadable() -> UnsupportedMedia:
    return UnsupportedMedia(
        "photo_unreadable",
        N_("The photo could not be read; the file may be damaged or incomplete. Take the photo again and upload it."),
        field="file",
    )


def _too_many_pixels(max_pixels: int) -> TooLarge:
    return TooLarge(
        "photo_dimensions",
        N_("The photo has too many pixels (at most {max_megapixels} megapixels). Take it again at a lower resolution."),
        field="file",
        max_megapixels=_rounded(max_pixels / 1_000_000),
    )
