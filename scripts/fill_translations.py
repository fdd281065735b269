"""Fill empty translations of a catalog from a Python dict file:
``fill_translations.py LANG FILE [--unreviewed]``.

``FILE`` defines ``TRANSLATIONS = {msgid: translation}``. Existing translations are kept; the
ids still untranslated are printed. ``--unreviewed`` marks each text it fills with the translator
comment ``unreviewed`` (see :data:`healthcode.i18n.UNREVIEWED`): not yet read by a speaker of the
language. A reviewer deletes that comment line once a text is right.
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from healthcode.i18n import UNREVIEWED

CATALOGS = Path(__file__).resolve().parents[1] / "src" / "healthcode" / "i18n" / "locales"


def main(language: str, source: str, unreviewed: bool = False) -> None:
    table: dict[str, str] = runpy.run_path(source)["TRANSLATIONS"]
    path = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    for message in catalog:
        if message.id and not message.string and message.id in table:
            message.string = table[message.id]
            if unreviewed and UNREVIEWED not in message.user_comments:
                message.user_comments.append(UNREVIEWED)
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, no_location=True, width=76)  # as `make messages` writes it
    left = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(left)} untranslated", *left, sep="\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("language")
    parser.add_argument("file")
    parser.add_argument("--unreviewed", action="store_true", help="mark the filled texts as not read by a speaker")
    args = parser.parse_args()
    main(args.language, args.file, args.unreviewed)
