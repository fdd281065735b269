"""One row of a list file, read by column and accepted as a case, area or test result, or rejected
with a reason.

A row is checked column by column in the file's order of importance (document type, number, list,
dates; for areas region, level, dates; for test results document type, number, sample date,
result) and rejected with the first problem found: one
:class:`RejectedRow` per row, whose ``code`` is stable and whose message (a msgid and its
parameters, so that each reader gets it in their own language) tells the operator what to change.
Numbers typed into Excel number cells lose their last digits; such cells are refused with a message
that says so, rather than checked (a mangled number could pass the check digit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from healthcode.domain import gb11643
from healthcode.domain.documents import DocumentType, normalize_document_number, normalize_name
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.i18n import translate
from healthcode.lists.vocabulary import (
    AREA_COLUMNS,
    CASE_COLUMNS,
    DOCUMENT_TYPE_CHOICES,
    DOCUMENT_TYPE_WORDS,
    LEVEL_CHOICES,
    LEVEL_WORDS,
    LIST_CHOICES,
    LIST_WORDS,
    RESULT_CHOICES,
    RESULT_WORDS,
    TEST_COLUMNS,
    cell_text,
    fold,
    is_empty,
    lookup,
    parse_date,
)


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A person on an authority list: ``kind`` is one of ``vocabulary.CASE_LISTS``, from ``since`` to ``until``.

    ``name`` is the name the file gives (normalised when it is a valid name), for reports only.
    """

    line: int
    document_type: DocumentType
    document_number: str
    kind: str
    since: date
    until: date | None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AreaRow:
    """A risk level for a GB/T 2260 region from ``effective_from``; ``"low"`` lifts an earlier level."""

    line: int
    region_code: str
    level: str
    effective_from: date
    effective_to: date | None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class TestRow:
    """A laboratory result: the sample of the person with this document, taken on ``taken_on``,
    was ``positive`` or not. ``name`` and ``lab`` are what the file gives, for reports only."""

    __test__ = False  # not a pytest test class, despite the name

    line: int
    document_type: DocumentType
    document_number: str
    taken_on: date
    positive: bool
    name: str | None = None
    lab: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row not imported: the column at fault (None for the whole row), a stable code, and why, as
    an English msgid with its parameters (:meth:`reason` says it in a reader's language)."""

    line: int
    column: str | None
    code: str
    msgid: str
    params: dict[str, str]
    raw: dict[str, str]

    def reason(self, language: str | None = None) -> str:
        """Why the row was left out, in ``language`` (default: the current request's)."""
        return translate(self.msgid, language, **self.params)

    @property
    def message(self) -> str:
        """Why the row was left out, in English."""
        return self.reason("en")


@dataclass(frozen=True)
class Header:
    """Where each known column is, and every header cell's text (made unique) to key raw rows by."""

    positions: dict[str, int]
    names: list[str]

    def raw(self, row: Sequence[object]) -> dict[str, str]:
        raw = dict.fromkeys(self.names, "")
        for position, cell in enumerate(row):
            text = cell_text(cell)
            if position < len(self.names):
                raw[self.names[position]] = text
            elif text:
                raw[f"column {position + 1}"] = text
        return raw


class _Rejection(Exception):
    """Why a row is not imported; raised while reading it, caught by :meth:`Checker.check`."""

    def __init__(self, column: str | None, code: str, msgid: str, **params: object) -> None:
        super().__init__(code)
        self.column = column
        self.code = code
        self.msgid = msgid
        self.params = {name: str(value) for name, value in params.items()}


R = TypeVar("R", CaseRow, AreaRow, TestRow)


class Checker(Generic[R]):
    """Accepts or rejects rows one at a time; subclasses say how a row is read and what repeats it."""

    def __init__(self, header: Header) -> None:
        self.header = header
        self.accepted: list[R] = []
        self.rejected: list[RejectedRow] = []
        self._first_line: dict[tuple[object, ...], int] = {}

    def check(self, line: int, row: Sequence[object]) -> None:
        try:
            parsed = self.read(line, row)
        except _Rejection as rejection:
            self._reject(line, row, rejection)
            return
        first = self._first_line.setdefault(self.identity(parsed), line)
        if first == line:
            self.accepted.append(parsed)
        else:
            self._reject(line, row, self.duplicate(parsed, first))

    def _reject(self, line: int, row: Sequence[object], rejection: _Rejection) -> None:
        self.rejected.append(
            RejectedRow(line, rejection.column, rejection.code, rejection.msgid, rejection.params, self.header.raw(row))
        )

    def cell(self, row: Sequence[object], column: str) -> object:
        position = self.header.positions.get(column)
        return row[position] if position is not None and position < len(row) else None

    def read(self, line: int, row: Sequence[object]) -> R:
        raise NotImplementedError

    def identity(self, parsed: R) -> tuple[object, ...]:
        raise NotImplementedError

    def duplicate(self, parsed: R, first: int) -> _Rejection:
        raise NotImplementedError


class PersonChecker(Checker[R]):
    """Rows that name a person by document, checked as an application's is (``today`` bounds the
    birth dates in document numbers)."""

    def __init__(self, header: Header, today: date) -> None:
        super().__init__(header)
        self.today = today

    def document(self, row: Sequence[object]) -> tuple[DocumentType, str]:
        """The row's document type (empty: a resident ID) and its number, normalised."""
        doc_type = _document_type(self.cell(row, "document_type"))
        return doc_type, _document_number(doc_type, self.cell(row, "document_number"), self.today)


class CaseChecker(PersonChecker[CaseRow]):
    """Case-list rows: a document, a list, a period."""

    def read(self, line: int, row: Sequence[object]) -> CaseRow:
        doc_type, number = self.document(row)
        kind = _word(self.cell(row, "list"), "list", LIST_WORDS, "list_kind_unknown", _NOT_A_LIST, LIST_CHOICES)
        since = _required_date(self.cell(row, "since"), "since")
        until = _optional_date(self.cell(row, "until"), "until")
        if until is not None and until < since:
            raise _date_order("until", "since", until, since)
        return CaseRow(line, doc_type, number, kind, since, until, _name(self.cell(row, "name")))

    def identity(self, parsed: CaseRow) -> tuple[object, ...]:
        return (parsed.document_type, parsed.document_number, parsed.kind)

    def duplicate(self, parsed: CaseRow, first: int) -> _Rejection:
        return _Rejection(
            "document_number",
            "duplicate_row",
            N_("The same document is already on the {list} list at line {first}; only line {first} is imported."),
            list=parsed.kind,
            first=first,
        )


class AreaChecker(Checker[AreaRow]):
    """Risk-area rows: a GB/T 2260 region, a level, a period."""

    def __init__(self, header: Header) -> None:
        super().__init__(header)
        # An area file names few regions many times; the GB/T 2260 table lookup is the slow part.
        self._known_regions: dict[str, bool] = {}

    def read(self, line: int, row: Sequence[object]) -> AreaRow:
        region = self._region_code(self.cell(row, "region_code"))
        level = _word(self.cell(row, "level"), "level", LEVEL_WORDS, "level_unknown", _NOT_A_LEVEL, LEVEL_CHOICES)
        start = _required_date(self.cell(row, "effective_from"), "effective_from")
        end = _optional_date(self.cell(row, "effective_to"), "effective_to")
        if end is not None and end < start:
            raise _date_order("effective_to", "effective_from", end, start)
        return AreaRow(line, region, level, start, end, cell_text(self.cell(row, "name")) or None)

    def identity(self, parsed: AreaRow) -> tuple[object, ...]:
        return (parsed.region_code, parsed.effective_from)

    def duplicate(self, parsed: AreaRow, first: int) -> _Rejection:
        return _Rejection(
            "region_code",
            "duplicate_row",
            N_(
                "Region {region} already has a level from {date} at line {first}; only line {first} is imported. "
                "Give one row per region and date."
            ),
            region=parsed.region_code,
            date=parsed.effective_from.isoformat(),
            first=first,
        )

    def _region_code(self, cell: object) -> str:
        code = _required_text(cell, "region_code")
        if not code.isascii():
            code = fold(code)  # full-width digits
        known = self._known_regions.get(code)
        if known is None:
            known = self._known_regions[code] = gb11643.is_region_code(code)
        if known:
            return code
        if len(code) != 6 or not code.isdigit():
            message = N_("“{value}” is not a region code: it has 6 digits, such as 150102.")
        else:
            message = N_("{value} is not a GB/T 2260 region code. Check it against the official code list.")
        raise _Rejection("region_code", "region_unknown", message, value=_shown(code))


class TestChecker(PersonChecker[TestRow]):
    """Test-result rows: a document, the sample's date, the result.

    A sample dated after today is refused (a typing error, and it would colour a card ahead of time).
    """

    __test__ = False  # not a pytest test class, despite the name

    def read(self, line: int, row: Sequence[object]) -> TestRow:
        doc_type, number = self.document(row)
        taken_on = _required_date(self.cell(row, "taken_on"), "taken_on")
        if taken_on > self.today:
            raise _Rejection(
                "taken_on",
                "date_future",
                N_("{header} {date} is after today. Check the date the sample was taken."),
                header=_COLUMN_LABELS["taken_on"],
                date=taken_on.isoformat(),
            )
        text = _required_text(self.cell(row, "result"), "result")
        positive = lookup(RESULT_WORDS, text)
        if positive is None:
            raise _Rejection(
                "result",
                "result_unknown",
                N_("“{value}” is not a test result. Use {choices}."),
                value=_shown(text),
                choices=RESULT_CHOICES,
            )
        lab = cell_text(self.cell(row, "lab")) or None
        return TestRow(line, doc_type, number, taken_on, positive, _name(self.cell(row, "name")), lab)

    def identity(self, parsed: TestRow) -> tuple[object, ...]:
        return (parsed.document_type, parsed.document_number, parsed.taken_on, parsed.positive)

    def duplicate(self, parsed: TestRow, first: int) -> _Rejection:
        return _Rejection(
            "document_number",
            "duplicate_row",
            N_(
                "The same result for the same document and sample date is already at line {first}; "
                "only line {first} is imported."
            ),
            first=first,
        )


# --- cells ------------------------------------------------------------------------------------------

_COLUMN_LABELS = {column.name: column.label for column in CASE_COLUMNS + AREA_COLUMNS + TEST_COLUMNS}
# "1.50102E+17": what Excel shows, and saves to CSV, for an 18-digit number in a number cell.
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)
_EXCEL_NUMBER = N_(
    "The number was stored as a number in Excel, which keeps only 15 digits, so its last digits are lost. "
    "Format the column as text, enter the number again from the source, and upload the row again."
)
_NOT_A_LIST = N_("“{value}” is not a list. Use {choices}.")
_NOT_A_LEVEL = N_("“{value}” is not a risk level. Use {choices}.")
# Excel keeps 15 significant digits: a number cell of 16 or more digits has lost some.
_EXCEL_DIGITS = 10**15


def _shown(text: str) -> str:
    """A cell value quoted in a message, cut short: a message is one line of a report."""
    return text if len(text) <= 40 else text[:39] + "…"


def _missing(column: str) -> _Rejection:
    return _Rejection(
        column,
        "required_missing",
        N_("{header} is empty. Every row needs a value in this column."),
        header=_COLUMN_LABELS[column],
    )


def _required_text(cell: object, column: str) -> str:
    text = cell_text(cell)
    if not text:
        raise _missing(column)
    return text


def _document_type(cell: object) -> DocumentType:
    text = cell_text(cell)
    if not text:
        return DocumentType.RESIDENT_ID
    found = lookup(DOCUMENT_TYPE_WORDS, text)
    if found is None:
        raise _Rejection(
            "document_type",
            "document_type_unknown",
            N_("“{value}” is not a document type. Use {choices}, or leave the cell empty for a resident ID."),
            value=_shown(text),
            choices=DOCUMENT_TYPE_CHOICES,
        )
    return found


def _document_number(doc_type: DocumentType, cell: object, today: date) -> str:
    if isinstance(cell, int | float) and not isinstance(cell, bool) and abs(cell) >= _EXCEL_DIGITS:
        raise _Rejection("document_number", "document_format", _EXCEL_NUMBER)
    text = _required_text(cell, "document_number")
    try:
        return normalize_document_number(doc_type, text, today)
    except InvalidInput as error:
        if _SCIENTIFIC.fullmatch(text):
            raise _Rejection("document_number", error.code, _EXCEL_NUMBER) from None
        raise _Rejection("document_number", error.code, error.message, **error.params) from None


def _word(cell: object, column: str, words: dict[str, str], code: str, message: str, choices: str) -> str:
    text = _required_text(cell, column)
    found = lookup(words, text)
    if found is None:
        raise _Rejection(column, code, message, value=_shown(text), choices=choices)
    return found


def _required_date(cell: object, column: str) -> date:
    if is_empty(cell):
        raise _missing(column)
    return _date(cell, column)


def _optional_date(cell: object, column: str) -> date | None:
    return None if is_empty(cell) else _date(cell, column)


def _date(cell: object, column: str) -> date:
    found = parse_date(cell)
    if found is None:
        raise _Rejection(
            column,
            "date_invalid",
            N_(
                "“{value}” in {header} is not a date. "
                "Write it as 2020-02-05, 2020/02/05 or 20200205, or use an Excel date cell."
            ),
            value=_shown(cell_text(cell)),
            header=_COLUMN_LABELS[column],
        )
    return found


def _date_order(later: str, earlier: str, end: date, start: date) -> _Rejection:
    return _Rejection(
        later,
        "date_order",
        N_("{later} {end} is before {earlier} {start}. Check both dates."),
        later=_COLUMN_LABELS[later],
        end=end.isoformat(),
        earlier=_COLUMN_LABELS[earlier],
        start=start.isoformat(),
    )


def _name(cell: object) -> str | None:
    text = cell_text(cell)
    if not text:
        return None
    try:
        return normalize_name(text)
    except InvalidInput:
        return text  # shown in reports only; a badly typed name does not make the listing wrong
