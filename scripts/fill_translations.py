"""Fill empty translations of a catalog from a Python dict file: ``fill_translations.py LANG FILE``.

``FILE`` defines ``TRANSLATIONS = {msgid: translation}``. Existing translations are kept; the
ids still untranslated are printed.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGS = Path(__file__).resolve().parents[1] / "src" / "healthcode" / "i18n" / "locales"


def main(language: str, source: str) -> None:
    table: dict[str, str] = runpy.run_path(source)["TRANSLATIONS"]
    path = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    for message in catalog:
        if message.id and not message.string and message.id in table:
            message.string = table[message.id]
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, no_location=True, width=76)  # as `make messages` writes it
    left = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(left)} untranslated", *left, sep="\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
