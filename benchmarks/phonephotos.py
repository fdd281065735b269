"""Photos as a mid-range phone takes them, for the photo benchmarks: 4000 x 3000 JPEGs at quality 92
with 4:2:0 chroma (3.5-4 MB), a document on a desk with text and sensor noise, and the EXIF a phone
writes (maker, model, the GPS position and the orientation of a photo taken upright)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

GPS = {1: "N", 2: (40.0, 49.0, 12.0), 3: "E", 4: (111.0, 39.0, 56.0)}  # Hohhot
SIZE = (4000, 3000)


def phone_jpeg(seed: int = 1, *, orientation: int = 6) -> bytes:
    """One 12-megapixel phone photo of a document; ``seed`` varies its text.

    Taken with the phone upright, as phones do it: the sensor's pixels lie sideways and the EXIF
    orientation (6) says to turn them a quarter clockwise for display.
    """
    rng = random.Random(seed)
    width, height = SIZE[1], SIZE[0]  # the scene as the phone's user saw it: portrait
    ramp = Image.linear_gradient("L").resize((width, height))
    desk = Image.merge("RGB", [ramp.point(lambda v, lo=lo, k=k: lo + v // k) for lo, k in ((90, 3), (80, 4), (70, 5))])
    draw = ImageDraw.Draw(desk)
    left, top = width // 10, height // 5
    draw.rounded_rectangle((left, top, width - left, height - top), 60, fill=(225, 232, 240))
    for y in range(top + 120, height - top - 60, 48):
        line = "".join(rng.choice("0123456789X ABCDEFGHJKLMNPRSTUVWYZ") for _ in range(34))
        draw.text((left + 120, y), line, fill=(30, 30, 40), font_size=40)
    scene = Image.blend(desk, Image.effect_noise((width, height), 18).convert("RGB"), 0.25)
    scene = scene.filter(ImageFilter.GaussianBlur(0.6)).transpose(Image.Transpose.ROTATE_90)
    grain = Image.effect_noise(SIZE, 40)
    photo = Image.merge("RGB", [Image.blend(channel, grain, 0.12) for channel in scene.split()])
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model 12"
    exif[0x8825] = GPS
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, subsampling=2, exif=exif)
    return out.getvalue()
