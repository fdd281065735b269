"""18-character citizen numbers in the GB 11643 layout, checked one part at a time.

The layout (six-digit region, eight-digit birth date, three-digit sequence, ISO 7064 MOD 11-2 check
character) is shared by the resident ID card, the household register (which carries the person's
citizen number), the Hong Kong/Macao/Taiwan residence permit and the 2023 foreigner's permanent
residence ID. :mod:`healthcode.domain.documents` decides which region codes a document type allows
and which error codes a failure gets; this module only knows the parts.

**Region codes.** ``stdnum.cn.ric.get_birth_place`` (and so ``ric.validate``) accepts a region code
only if its table (GB/T 2260 over the years, from Wikipedia) says the county existed *in the birth
year*. That rejects real people: the code is the place of registration when the number was first
issued (from 1984 on), not the place of birth. Someone born in 1960 and registered in Hohhot's
Xincheng district holds ``150102``, which the table starts in 1983, and ``440305`` (Shenzhen Futian)
fails for everyone born before 1983. It also raises ``KeyError``, not a validation error, for an
unknown county in a known province (``150199``).

So we ask the table directly: a six-digit code is accepted if it is a GB/T 2260 code at *any* time
the table knows of, whatever the birth year. Abolished codes (``110103`` Chongwen, ``152601`` Jining)
stay valid for the people who hold them; prefecture and province codes (``150100``, ``110000``) are
real codes and are accepted too; a typo that hits no code at all is still caught. We do not reject a
code that ended before the birth year either: the table is year-grained and hand-collected, refusing
a real person costs more than letting an unlikely number through, and the identity check that
follows sees every number anyway.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

LENGTH = 18
EARLIEST_BIRTH = date(1900, 1, 1)

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def has_shape(number: str) -> bool:
    """17 ASCII digits and a digit or ``X``; ``str.isdigit`` would also let other scripts' digits in."""
    return _SHAPE.fullmatch(number) is not None


@cache
def is_region_code(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code the table has listed at any time (see module docs)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    # The table nests a two-digit province and four-digit county lines; a known code matches both,
    # and the county line carries the name(s) it had over the years.
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and "county" in parts[1][1]


def birth_date(number: str) -> date | None:
    """The date in characters 7-14, or None when they are not a calendar date."""
    try:
        return ric.get_birth_date(number)
    except (ValidationError, ValueError):
        return None


def birth_date_problem(number: str, today: date) -> str | None:
    """Why the birth date part cannot be right (``"not_a_date"``, ``"future"``, ``"too_old"``), or None."""
    born = birth_date(number)
    if born is None:
        return "not_a_date"
    if born > today:
        return "future"
    if born < EARLIEST_BIRTH:
        return "too_old"
    return None


def check_character_matches(number: str) -> bool:
    """Whether the last character is the ISO 7064 MOD 11-2 check character of the first 17."""
    return number[-1] == ric.calc_check_digit(number)
