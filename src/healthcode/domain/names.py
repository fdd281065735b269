"""A person's name as printed on their document (SPEC §3), in the one form we store and compare.

Verification compares the name with the issuer's record character for character, so the stored form
must not depend on the keyboard used:

- A Chinese name is Chinese characters, with a middle dot ``·`` between the parts of a transliterated
  name (阿卜杜·热合曼). Input methods type the dot as ``•``, ``.``, ``．``, ``・`` and others; all become
  ``·``. Spaces are removed: the record has none, and people often type one after the surname.
- A foreign name is Latin letters (accents included), spaces, hyphens and apostrophes, kept as given
  apart from trimming and collapsing runs of spaces; phones' typographic apostrophe ``’`` becomes ``'``.

Anything else (digits, other symbols, a mix of the two scripts) is ``name_invalid``.
"""

from __future__ import annotations

import unicodedata

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_

MAX_LENGTH = 50
FIELD = "name"

MIDDLE_DOT = "·"
_DOT_VARIANTS = str.maketrans(dict.fromkeys("•.．・･‧∙⋅", MIDDLE_DOT))
# 〇 is a Chinese character in its own right and occurs in names, though Unicode files it as a symbol.
_IDEOGRAPHIC_ZERO = "〇"


def is_chinese_character(char: str) -> bool:
    """CJK ideographs of every block (names use rare characters from the extensions) and 〇."""
    return char == _IDEOGRAPHIC_ZERO or unicodedata.name(char, "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")
    )


def is_latin_letter(char: str) -> bool:
    """A letter of the Latin script, with or without accents (José, Müller)."""
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")


def _invalid() -> InvalidInput:
    return InvalidInput(
        "name_invalid",
        N_(
            "Enter your name as printed on your document: in Chinese characters (with · between the parts "
            "of a transliterated name), or in Latin letters with spaces, hyphens or apostrophes. "
            "Leave out digits and other symbols."
        ),
        field=FIELD,
    )


def normalize_name(raw: str) -> str:
    """Return the stored form of a name, or raise ``name_required`` / ``name_invalid`` on ``name``."""
    words = (raw or "").split()
    if not words:
        raise InvalidInput("name_required", N_("Enter your name as printed on your document."), field=FIELD)
    if any(is_chinese_character(char) for word in words for char in word):
        name = _chinese("".join(words))
    else:
        name = _latin(" ".join(words))
    if len(name) > MAX_LENGTH:
        raise InvalidInput(
            "name_invalid",
            N_("A name can have at most {max_length} characters. Enter it as printed on your document."),
            field=FIELD,
            max_length=MAX_LENGTH,
        )
    return name


def _chinese(text: str) -> str:
    name = text.translate(_DOT_VARIANTS)
    if not all(char == MIDDLE_DOT or is_chinese_character(char) for char in name):
        raise _invalid()
    if name.startswith(MIDDLE_DOT) or name.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in name:
        raise InvalidInput(
            "name_invalid",
            N_("Put the dot · only between two parts of the name, as in 阿卜杜·热合曼."),
            field=FIELD,
        )
    return name


def _latin(text: str) -> str:
    name = text.replace("’", "'")
    if not all(char in " -'" or is_latin_letter(char) for char in name):
        raise _invalid()
    # Hyphens and apostrophes join letters; one at either end is a typing slip, not part of a name.
    if not (is_latin_letter(name[0]) and is_latin_letter(name[-1])):
        raise _invalid()
    return name
