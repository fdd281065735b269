"""Masked names and document numbers for screens, checkpoints and logs.

Enough for the owner (or a checkpoint worker holding the card) to recognise them, too little for a
bystander or a leaked screenshot to identify anyone. Masks keep the length of what they hide, so a
masked value does not look like a different, shorter one.
"""

from __future__ import annotations

from healthcode.domain.names import is_latin_letter

_STAR = "*"


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*, 欧阳娜娜 -> 欧**娜, John Smith -> J*** S****.

    Chinese names keep their first and last character (a two-character name only its first, or the
    name would show in full); Latin names keep the first letter of each word.
    """
    if any(is_latin_letter(char) for char in name):
        return " ".join(word[0] + _STAR * (len(word) - 1) for word in name.split())
    if len(name) <= 1:
        return _STAR * len(name)
    if len(name) == 2:
        return name[0] + _STAR
    return name[0] + _STAR * (len(name) - 2) + name[-1]


def mask_document(number: str) -> str:
    """150102199003071234 -> 1501**********1234; shorter numbers show the last four (and the first
    character from eight characters up).

    18 characters and more (resident IDs, long passports) keep the first four, which name only the
    province and city. A number of four characters or fewer is starred in full, as its last four
    would be all of it.
    """
    length = len(number)
    if length <= 4:
        return _STAR * length
    head = 4 if length >= 18 else 1 if length >= 8 else 0
    return number[:head] + _STAR * (length - head - 4) + number[-4:]
