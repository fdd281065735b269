"""The three colours of the health code (SPEC §5) and their order of severity."""

from __future__ import annotations

from enum import StrEnum

from healthcode.domain.i18n import N_


class Colour(StrEnum):
    """A code's colour. The values are stored and sent in the API and tokens: append only.

    Colours compare by :attr:`rank`, never by their string values (``"green" < "red" < "yellow"``
    alphabetically, which is not the order of severity).
    """

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def rank(self) -> int:
        """0 for green, 1 for yellow, 2 for red: the larger, the more severe."""
        return _RANKS[self]


_RANKS = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}
COLOUR_WORDS = {Colour.GREEN: N_("Green code"), Colour.YELLOW: N_("Yellow code"), Colour.RED: N_("Red code")}
"""Each colour's name as residents and staff read it (English msgids, for translation)."""
