"""GB/T 2260 regions by name: what residents type when they say where they live and went.

The names come from python-stdnum's region table (the one :mod:`gb11643` checks codes against).
Only regions that exist today are offered by name; any code the table ever knew is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from stdnum import numdb

from healthcode.domain.errors import InvalidInput
from healthcode.domain.gb11643 import is_region_code
from healthcode.domain.i18n import N_

_DATED = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_MATCHES = 8


@dataclass(frozen=True)
class Region:
    """A current region: its code, own name and the name with its city and province."""

    code: str
    name: str
    full_name: str


def _current_name(names: str) -> str | None:
    """The name in use now, from entries like ``[1983-1999]郊区,[2000-]赛罕区``; None if abolished."""
    for entry in reversed(names.split(",")):
        dated = _DATED.match(entry)
        if dated is None:
            return entry
        if dated.group(2) is None:
            return dated.group(3)
        return None
    return None


@cache
def current_regions() -> tuple[Region, ...]:
    """Every region in use today, read once from the table's prefix tree (ranges are single codes)."""
    regions: list[Region] = []
    for _length, low, high, props, counties in numdb.get("cn/loc").prefixes:
        if low != high or "province" not in props:
            continue
        province = props["province"]
        names = {
            f"{low}{c_low}": _current_name(c_props.get("county", ""))
            for _l, c_low, c_high, c_props, _ in counties
            if c_low == c_high
        }
        for code, name in names.items():
            if name is None or name in ("市辖区", "县", "省直辖县级行政区划"):
                continue
            city = names.get(code[:4] + "00") or "" if not code.endswith("00") else ""
            full = "".join(dict.fromkeys(part for part in (province, city, name) if part))
            regions.append(Region(code, name, full))
    return tuple(regions)


def search_regions(query: str, limit: int = MAX_MATCHES) -> list[Region]:
    """Regions whose name or code contains ``query`` (exact names first)."""
    text = query.strip()
    if not text:
        return []
    found = [r for r in current_regions() if text in r.full_name or r.code.startswith(text)]
    found.sort(key=lambda r: (r.name != text, len(r.full_name)))
    return found[:limit]


def resolve_regions(typed: str, field: str) -> list[str]:
    """Codes for what a resident typed: codes or names separated by commas or spaces. A name that
    matches several regions is refused with the candidates, so the resident can pick."""
    codes: list[str] = []
    for token in _SEPARATORS.split(typed.strip()):
        if not token:
            continue
        if token.isdigit():
            if not is_region_code(token):
                raise InvalidInput(
                    "region_unknown", N_("{region} is not a region code."), field=field, region=token[:20]
                )
            codes.append(token)
            continue
        exact = [r for r in current_regions() if token in (r.name, r.full_name)]
        matches = exact or search_regions(token)
        if len(matches) != 1:
            raise InvalidInput(
                "region_ambiguous" if matches else "region_unknown",
                N_("Which {region}? Write one of: {candidates}.")
                if matches
                else N_("No region is called {region}. Write a city or district name, or its 6-digit code."),
                field=field,
                region=token[:20],
                candidates="、".join(f"{r.full_name}（{r.code}）" for r in matches[:MAX_MATCHES]),
            )
        codes.append(matches[0].code)
    return list(dict.fromkeys(codes))
