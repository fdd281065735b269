"""Parsing authority list files (SPEC §5, §10): case lists, risk areas and test results, checked row by row.

A file is read in one pass (:mod:`healthcode.lists.files`), its header matched to the columns of its
kind in English or Chinese (:mod:`healthcode.lists.vocabulary`), and each row either accepted as a
:class:`CaseRow` / :class:`AreaRow` / :class:`TestRow` or rejected with the first problem found, as a
:class:`RejectedRow` with a stable ``code``, the column at fault and a translatable message for
the operator's report (:mod:`healthcode.lists.report`). Every non-blank data row ends up in exactly
one of the two lists, so ``len(accepted) + len(rejected) == total``. Only a fault of the whole file (empty, no header, a
missing column, not CSV/XLSX, too many rows) raises :class:`ListFileError`.

Line numbers are the file's: the header is line 1, blank rows count but are skipped. Document
numbers are checked and stored exactly as an application's are (``normalize_document_number``), so
a listed number matches the card it names. A row that repeats an accepted row (the same document on
the same list; for areas, the same region from the same day; for tests, the same result of the
same document on the same sample date) is rejected as ``duplicate_row``.

Pure function of the bytes and ``today``; parsing 100,000 rows is seconds of CPU, so callers on an
event loop should run :func:`parse_list_file` in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from healthcode.domain.i18n import N_
from healthcode.lists.files import HEAD_SIZE, ListFileError, detect_format, empty_file, open_rows
from healthcode.lists.rows import (
    AreaChecker,
    AreaRow,
    CaseChecker,
    CaseRow,
    Checker,
    Header,
    RejectedRow,
    TestChecker,
    TestRow,
)
from healthcode.lists.vocabulary import (
    AREA_COLUMNS,
    CASE_COLUMNS,
    HEADERS,
    TEST_COLUMNS,
    Column,
    cell_text,
    fold,
    is_empty,
)

__all__ = [
    "AreaRow",
    "CaseRow",
    "ListFileError",
    "ParsedFile",
    "RejectedRow",
    "TestRow",
    "detect_format",
    "parse_list_file",
]

KINDS = ("cases", "areas", "tests")
COLUMNS: dict[str, tuple[Column, ...]] = {"cases": CASE_COLUMNS, "areas": AREA_COLUMNS, "tests": TEST_COLUMNS}
"""The columns of a file of each kind."""
PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class ParsedFile:
    """The outcome of one file: ``total`` non-blank data rows, each accepted or rejected."""

    kind: str
    accepted: list[CaseRow] | list[AreaRow] | list[TestRow]
    rejected: list[RejectedRow]
    total: int


def parse_list_file(
    kind: str,
    filename: str,
    data: bytes,
    *,
    today: date,
    max_rows: int = 1_000_000,
    progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Parse a ``"cases"``, ``"areas"`` or ``"tests"`` file; ``progress`` is called every 10,000 data
    rows with the count.

    ``today`` bounds the birth dates in document numbers. Raises :class:`ListFileError` when the file
    as a whole cannot be used, including when it has more than ``max_rows`` data rows.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    fmt = detect_format(filename, data[:HEAD_SIZE])
    with open_rows(fmt, filename, data, max_rows=max_rows) as rows:
        header = _read_header(filename, COLUMNS[kind], rows)
        checker = _checker(kind, header, today)
        total = 0
        for line, row in enumerate(rows, start=2):
            if _is_blank(row):
                continue
            total += 1
            if total > max_rows:
                raise ListFileError(
                    "file_too_many_rows",
                    N_("“{filename}” has more than {max_rows} rows. Split it into smaller files and upload each."),
                    filename=filename,
                    max_rows=max_rows,
                )
            checker.check(line, row)
            if progress is not None and total % PROGRESS_EVERY == 0:
                progress(total)
    return ParsedFile(kind, checker.accepted, checker.rejected, total)


def _checker(kind: str, header: Header, today: date) -> Checker[CaseRow] | Checker[AreaRow] | Checker[TestRow]:
    if kind == "cases":
        return CaseChecker(header, today)
    if kind == "tests":
        return TestChecker(header, today)
    return AreaChecker(header)


def _read_header(filename: str, columns: tuple[Column, ...], rows: Iterator[Sequence[object]]) -> Header:
    first = next(rows, None)
    if first is None or (_is_blank(first) and all(_is_blank(row) for row in rows)):
        raise empty_file(filename)
    allowed = {column.name: column for column in columns}
    positions: dict[str, int] = {}
    names: list[str] = []
    taken: set[str] = set()
    recognised = False
    width = len(first)
    while width and is_empty(first[width - 1]):
        width -= 1  # styled but empty cells at the end of an Excel header row
    for position, cell in enumerate(first[:width]):
        text = cell_text(cell)
        name = HEADERS.get(fold(text))
        recognised = recognised or name is not None
        if name is not None and name in allowed:
            if name in positions:
                raise ListFileError(
                    "file_column_repeated",
                    N_("Two columns are headed {column}: “{first}” and “{second}”. Keep one of them."),
                    column=allowed[name].label,
                    first=names[positions[name]],
                    second=text,
                )
            positions[name] = position
        unique = text or f"column {position + 1}"
        names.append(unique if unique not in taken else f"{unique} (column {position + 1})")
        taken.add(names[-1])
    if not recognised:
        raise ListFileError(
            "file_no_header",
            N_(
                "The first row of “{filename}” must name the columns, for example {columns}. "
                "Add a header row (and remove any title above it), then upload the file again."
            ),
            filename=filename,
            columns=", ".join(column.label for column in columns if column.required),
        )
    missing = [column for column in columns if column.required and column.name not in positions]
    if missing:
        raise ListFileError(
            "file_column_missing",
            N_(
                "“{filename}” has no column {columns}. Add a column with this header, in English or Chinese, "
                "and upload the file again."
            ),
            filename=filename,
            columns=" and no column ".join(column.label for column in missing),
            missing=[column.name for column in missing],
        )
    return Header(positions, names)


def _is_blank(row: Sequence[object]) -> bool:
    return all(map(is_empty, row))
