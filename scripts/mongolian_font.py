"""Regenerate the Mongolian web font: ``mongolian_font.py [SOURCE.ttf]``.

Writes ``src/healthcode/kit/static/fonts/noto-sans-mongolian.woff2``: Noto Sans Mongolian (SIL
Open Font License; Debian's ``fonts-noto-core`` installs the source at the default path) cut down
to the letters of the Mongolian script proper (U+1800-U+1842) and the controls that shape them, with
every layout feature of those letters (their joined forms) and without hinting: about
16 KB instead of 240 KB, loaded by Mongolian pages only. The whole alphabet rather than only the
letters the catalog uses today, so that a new translation needs no new font; a test checks that the
font covers every character of the catalog. The output is the same for the same source (no
timestamp), so regenerating without a change changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/truetype/noto/NotoSansMongolian-Regular.ttf")
TARGET = Path(__file__).resolve().parents[1] / "src/healthcode/kit/static/fonts/noto-sans-mongolian.woff2"
UNICODES = [
    *range(0x1800, 0x1843),  # Mongolian letters, punctuation, digits and variation selectors
    0x0020,
    0x00A0,
    0x200C,  # zero-width non-joiner
    0x200D,  # zero-width joiner
    0x202F,  # narrow no-break space, before a suffix written apart
]


def main(source: Path = SOURCE) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.flavor = "woff2"
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    font.recalcTimestamp = False
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
