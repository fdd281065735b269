"""The rejected rows of an import: kept sealed with it, read back in each reader's language.

The rows are stored as JSON: for each row its line, the column at fault, the stable code, the
reason as a msgid with its parameters, and the row's cells as read. The import page shows the
reasons in the staff member's language, and the CSV for Excel is written at download time in the
same language, so one import serves a Chinese and an English reader alike. Imports made before
kept an English CSV instead; it is read back as rows whose reason is that English text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from healthcode.lists.rows import RejectedRow

REPORT_COLUMNS = ("line", "column", "code", "message")
_BOM = b"\xef\xbb\xbf"


def seal_rows(rejected: Sequence[RejectedRow]) -> bytes:
    """The rows as the bytes kept (sealed) with the import."""
    columns = list(dict.fromkeys(key for row in rejected for key in row.raw))
    rows = [
        [row.line, row.column, row.code, row.msgid, row.params, [row.raw.get(key, "") for key in columns]]
        for row in rejected
    ]
    return json.dumps({"columns": columns, "rows": rows}, ensure_ascii=False, separators=(",", ":")).encode()


def read_rows(kept: bytes) -> list[RejectedRow]:
    """The rows back from what :func:`seal_rows` made, or from an English CSV of an older import."""
    if kept.startswith(_BOM):
        return _read_english_csv(kept)
    report = json.loads(kept)
    columns = report["columns"]
    return [
        RejectedRow(line, column, code, msgid, params, dict(zip(columns, cells, strict=True)))
        for line, column, code, msgid, params, cells in report["rows"]
    ]


def report_csv(rejected: Sequence[RejectedRow], language: str | None = None) -> bytes:
    """The rows as CSV for Excel (UTF-8 with BOM): line, column, code, the reason in ``language``,
    then the row's cells as read."""
    columns = list(dict.fromkeys(key for row in rejected for key in row.raw))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*REPORT_COLUMNS, *map(_inert, columns)])
    for row in rejected:
        cells = (_inert(row.raw.get(key, "")) for key in columns)
        writer.writerow([row.line, row.column or "", row.code, row.reason(language), *cells])
    return _BOM + out.getvalue().encode()


def _inert(text: str) -> str:
    """Keep spreadsheet apps from running a cell of the uploaded file as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _read_english_csv(kept: bytes) -> list[RejectedRow]:
    lines = csv.reader(io.StringIO(kept.decode("utf-8-sig")))
    header = next(lines, [])
    columns = header[len(REPORT_COLUMNS) :]
    return [
        RejectedRow(int(line), column or None, code, message, {}, dict(zip(columns, cells, strict=False)))
        for line, column, code, message, *cells in lines
    ]
