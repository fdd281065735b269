"""What the cells of an authority list may say: column headers, words and dates, in English or Chinese.

Authorities export these files from their own systems and from hand-kept spreadsheets, so each value
is accepted in the forms people and Excel actually write: either language, any case, full-width
characters from a Chinese input method (``２０２０－０２－０５``), the health-card code of a document type
with or without the leading zero Excel drops. The tables are plain dictionaries built once, so a
row costs a strip and a lookup; the slower normalisation runs only when the quick lookup misses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TypeVar

from healthcode.domain.colours import LIST_KINDS
from healthcode.domain.documents import DocumentType

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """A column of a list file: its English name (what reports and the API call it) and Chinese header."""

    name: str
    chinese: str
    required: bool

    @property
    def label(self) -> str:
        """Both headers, for messages: ``document_number (证件号码)``."""
        return f"{self.name} ({self.chinese})"


CASE_COLUMNS = (
    Column("document_type", "证件类型", required=False),
    Column("document_number", "证件号码", required=True),
    Column("list", "名单类型", required=True),
    Column("since", "起始日期", required=True),
    Column("until", "截止日期", required=False),
    Column("name", "姓名", required=False),
)
AREA_COLUMNS = (
    Column("region_code", "地区代码", required=True),
    Column("level", "风险等级", required=True),
    Column("effective_from", "生效日期", required=True),
    Column("effective_to", "解除日期", required=False),
    Column("name", "地区名称", required=False),
)
TEST_COLUMNS = (
    Column("document_type", "证件类型", required=False),
    Column("document_number", "证件号码", required=True),
    Column("taken_on", "采样日期", required=True),
    Column("result", "检测结果", required=True),
    Column("name", "姓名", required=False),
    Column("lab", "检测机构", required=False),
)

_SEPARATORS = re.compile(r"[\s_\-]+")


def fold(text: str) -> str:
    """The form headers and words are compared in: NFKC, case-folded, spaces and hyphens as ``_``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("_", folded).strip("_")


def _folded(table: dict[str, T]) -> dict[str, T]:
    return {fold(word): value for word, value in table.items()}


def lookup(words: dict[str, T], text: str) -> T | None:
    """The value ``text`` (already stripped) names in ``words``, or None."""
    found = words.get(text)
    if found is None:
        found = words.get(fold(text))
    return found


HEADERS: dict[str, str] = _folded(
    {
        alias: column.name
        for column in CASE_COLUMNS + AREA_COLUMNS + TEST_COLUMNS
        for alias in (column.name, column.chinese)
    }
)
"""Every accepted header, folded, to its column name (kinds share ``name`` and the document columns)."""

_D = DocumentType
DOCUMENT_TYPE_WORDS: dict[str, DocumentType] = _folded(
    {
        **{doc_type.value: doc_type for doc_type in DocumentType},
        **{doc_type.health_card_code: doc_type for doc_type in DocumentType},
        # "01" typed into a number cell, or re-saved by Excel, arrives as "1".
        **{doc_type.health_card_code.lstrip("0"): doc_type for doc_type in DocumentType},
        "居民身份证": _D.RESIDENT_ID,
        "身份证": _D.RESIDENT_ID,
        "户口簿": _D.HOUSEHOLD_REGISTER,
        "户口本": _D.HOUSEHOLD_REGISTER,
        "护照": _D.PASSPORT,
        "出生医学证明": _D.BIRTH_CERTIFICATE,
        "港澳居民来往内地通行证": _D.HK_MACAO_PERMIT,
        "台湾居民来往大陆通行证": _D.TAIWAN_PERMIT,
        "台湾居民来往内地通行证": _D.TAIWAN_PERMIT,
        "港澳台居民居住证": _D.HK_MACAO_TAIWAN_RESIDENCE_PERMIT,
        "外国人永久居留身份证": _D.FOREIGN_PERMANENT_RESIDENT_ID,
    }
)

DOCUMENT_TYPE_CHOICES = (
    "resident_id (居民身份证, 01), household_register (户口簿, 02), passport (护照, 03), "
    "hk_macao_permit (港澳居民来往内地通行证, 06), taiwan_permit (台湾居民来往大陆通行证, 07), "
    "foreign_permanent_resident_id (外国人永久居留身份证, 08), "
    "hk_macao_taiwan_residence_permit (港澳台居民居住证, 09) or birth_certificate (出生医学证明, 11)"
)
"""The accepted document types as a message lists them."""

CASE_LISTS = tuple(sorted(LIST_KINDS))
"""The authority lists a person can be on (SPEC §5), as :attr:`CaseRow.kind` carries them."""

LIST_WORDS: dict[str, str] = _folded(
    {
        **{kind: kind for kind in CASE_LISTS},
        "确诊": "confirmed",
        "确诊病例": "confirmed",
        "疑似": "suspected",
        "疑似病例": "suspected",
        "无症状感染者": "asymptomatic",
        "无症状": "asymptomatic",
        "密切接触者": "close_contact",
        "密接": "close_contact",
        "次密切接触者": "secondary_contact",
        "次密接": "secondary_contact",
        "隔离人员": "isolation",
        "隔离": "isolation",
    }
)

LIST_CHOICES = (
    "confirmed (确诊), suspected (疑似), asymptomatic (无症状感染者), close_contact (密切接触者), "
    "secondary_contact (次密切接触者) or isolation (隔离人员)"
)

RISK_LEVELS = ("high", "medium", "low")
"""Risk levels of an area; ``low`` lifts an earlier high or medium level."""

LEVEL_WORDS: dict[str, str] = _folded(
    {
        **{level: level for level in RISK_LEVELS},
        "高": "high",
        "高风险": "high",
        "中": "medium",
        "中风险": "medium",
        "低": "low",
        "低风险": "low",
    }
)

LEVEL_CHOICES = "high (高风险), medium (中风险) or low (低风险, which lifts the area's earlier level)"

RESULT_WORDS: dict[str, bool] = _folded(
    {
        "positive": True,
        "negative": False,
        "阳性": True,
        "阴性": False,
    }
)
"""A test's result as laboratories write it: True for positive."""

RESULT_CHOICES = "positive (阳性) or negative (阴性)"

# YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (one- or two-digit month and day, as Excel writes 2020/2/5),
# YYYYMMDD and 2020年2月5日; a time after the date (Excel's CSV export of a date-time cell) is ignored.
_DATE = re.compile(
    r"((?:19|20)[0-9]{2})"
    r"(?:([-/.])([0-9]{1,2})\2([0-9]{1,2})|([0-9]{2})([0-9]{2})|年([0-9]{1,2})月([0-9]{1,2})日?)"
    r"(?:[ T]+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?)?"
)


def parse_date(cell: object) -> date | None:
    """The date a non-empty cell holds (an Excel date cell or text in an accepted form), else None."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = cell_text(cell)
    match = _DATE.fullmatch(text) or _DATE.fullmatch(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    month = match[3] or match[5] or match[7]
    day = match[4] or match[6] or match[8]
    try:
        return date(int(match[1]), int(month), int(day))
    except ValueError:
        return None


def is_empty(cell: object) -> bool:
    """An empty cell: none at all, or only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_text(cell: object) -> str:
    """A cell as stripped text: CSV cells are text already; XLSX numbers lose a ``.0``, dates their midnight."""
    if isinstance(cell, str):
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()
