"""What the statistics pages are asked for: a range of local days and, optionally, a region (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from healthcode.domain.errors import InvalidInput, InvalidInputs
from healthcode.domain.i18n import N_

DEFAULT_DAYS = 30
MAX_DAYS = 366
_REGION = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Filter:
    """Days ``start`` to ``end`` (both included) and a GB/T 2260 region code ("" for every region)."""

    start: date
    end: date
    region: str = ""

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def region_prefix(self) -> str:
        """What the codes inside the region start with: a province (150000) covers its cities and
        districts (15....), a city (150100) its districts (1501..), a district itself."""
        code = self.region
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
        return code

    def query(self) -> dict[str, str]:
        """The filter as the page's query parameters."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "region": self.region}


def default_filter(today: date) -> Filter:
    return Filter(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_filter(today: date, start: str, end: str, region: str) -> Filter:
    """The filter from what the form sent; empty fields take the last 30 days and every region.
    Every problem is reported beside its field at once."""
    problems: list[InvalidInput] = []
    default = default_filter(today)
    first = _day(start, "from", problems) or default.start
    last = _day(end, "to", problems) or (today if not start.strip() else max(first, default.end))
    code = region.strip()
    if code and not _REGION.match(code):
        problems.append(InvalidInput("region_invalid", N_("Choose a region from the list."), field="region"))
    if not problems and last < first:
        problems.append(InvalidInput("range_reversed", N_("The last day comes before the first."), field="to"))
    if not problems and (last - first).days + 1 > MAX_DAYS:
        problems.append(
            InvalidInput("range_too_long", N_("Choose at most {days} days."), field="to", days=str(MAX_DAYS))
        )
    if problems:
        raise InvalidInputs(problems)
    return Filter(first, last, code)


def _day(text: str, field: str, problems: list[InvalidInput]) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(InvalidInput("date_invalid", N_("Write the day as YYYY-MM-DD."), field=field))
        return None
