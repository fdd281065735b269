"""The Mongolian web font (a subset made by scripts/mongolian_font.py) draws every character of
the Mongolian texts in their joined forms, and stays small."""

from io import BytesIO

from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from healthcode.config import Settings
from healthcode.i18n import LANGUAGES, LOCALES_DIR
from healthcode.kit.assets import asset_bytes

FONT = "fonts/noto-sans-mongolian.woff2"


def mongolian_characters(text: str) -> set[str]:
    """What the font must draw: the Mongolian block and the spaces and joiners that shape it."""
    return {c for c in text if 0x1800 <= ord(c) <= 0x18AF or c in "\u200c\u200d\u202f"}


def test_the_font_covers_every_mongolian_text() -> None:
    with (LOCALES_DIR / "mn" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        texts = [str(message.string) for message in read_po(f) if message.id]
    texts += [LANGUAGES["mn"].native_name, Settings().region_name_translations["mn"]]
    needed = mongolian_characters("".join(texts))
    assert len(needed) > 30
    drawn = {chr(point) for point in TTFont(BytesIO(asset_bytes(FONT))).getBestCmap()}
    assert sorted(needed - drawn) == [], "run scripts/mongolian_font.py"


def test_the_font_keeps_the_joined_forms_and_is_small() -> None:
    """Vertical lines turn the script's glyphs sideways (as the script is written); the joined forms
    (initial, medial, final) are the font's own."""
    font = TTFont(BytesIO(asset_bytes(FONT)))
    features = {record.FeatureTag for record in font["GSUB"].table.FeatureList.FeatureRecord}
    assert {"init", "medi", "fina", "isol"} <= features
    assert len(asset_bytes(FONT)) < 20_000
