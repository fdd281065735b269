"""Reading an uploaded list file into rows of cells, and the errors that make a whole file unusable.

The format is judged by the content, never by the filename (which only words the messages): a ZIP
container is read as an XLSX workbook, text as CSV. CSV is decoded as UTF-8 (with or without the BOM
Excel writes for "CSV UTF-8") and otherwise as GB18030, the superset of GBK that Chinese Excel and
WPS write for plain "CSV"; a UTF-8 file cannot be mistaken for GB18030 in the other order, because
GB18030 decodes almost any bytes. XLSX is streamed (openpyxl ``read_only``), first sheet, values
only: formulas give the value Excel last calculated.

Rows come out as sequences of cells, the header row first, row *n* of the file as the *n*-th item
(a blank row is an empty sequence), so line numbers are the ones the operator sees in Excel. A CSV
row is counted as one line even when a quoted cell holds a line break, as Excel shows it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing, contextmanager

import openpyxl  # type: ignore[import-untyped]  # openpyxl ships no type information

from healthcode.domain.i18n import N_

HEAD_SIZE = 4096
"""How many leading bytes :func:`detect_format` needs."""

_ZIP = b"PK\x03\x04"
# Compound files of old Excel (.xls) and other Office formats; UTF-16 text (Excel's "Unicode text").
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Bounds on what an XLSX expands to, checked from its ZIP directory before anything is parsed. A
# real 100,000-row case list written by openpyxl expands to 33 MB (330 bytes a row, its sheet at
# 8.7:1); Excel's shared strings make it smaller. A "ZIP bomb" expands a small file a thousand
# times over into shared strings that openpyxl would hold in memory.
_XLSX_BASE_BYTES = 16 * 1024 * 1024
_XLSX_BYTES_PER_ROW = 512
_SHARED_STRINGS_BASE_BYTES = 8 * 1024 * 1024
_SHARED_STRINGS_BYTES_PER_ROW = 256
_MAX_RATIO = 200
"""The most any part may expand over its compressed size (from 1 MB expanded up)."""
_RATIO_FROM_BYTES = 1024 * 1024


class ListFileError(ValueError):
    """The whole file is unusable and nothing in it is imported; ``message`` says what to do.

    ``code`` is stable (``file_empty``, ``file_type``, ``file_encoding``, ``file_unreadable``,
    ``file_too_large``, ``file_expands_too_much``, ``file_no_header``, ``file_column_missing``,
    ``file_column_repeated``, ``file_too_many_rows``). ``message`` is English: the template
    ``msgid`` (marked for the catalogs) filled in with ``params``, which a caller that translates
    can use instead.
    """

    def __init__(self, code: str, msgid: str, **params: object) -> None:
        self.code = code
        self.msgid = msgid
        self.params = params
        self.message = msgid.format(**params)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ListFileError({self.code!r}, params={self.params!r})"


def detect_format(filename: str, head: bytes) -> str:
    """``"xlsx"`` or ``"csv"``, judged from the first bytes of the file; else :class:`ListFileError`."""
    if not head:
        raise empty_file(filename)
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        raise ListFileError(
            "file_type",
            N_(
                "“{filename}” is an old Excel workbook (.xls), a password-protected workbook or another Office file. "
                "Open it in Excel or WPS, save it as .xlsx or as CSV (UTF-8), and upload it again."
            ),
            filename=filename,
        )
    if head.startswith(_UTF16_BOMS):
        raise ListFileError(
            "file_type",
            N_(
                "“{filename}” is Unicode (UTF-16) text. "
                "Save it from Excel as “CSV UTF-8” or as .xlsx, and upload it again."
            ),
            filename=filename,
        )
    if b"\x00" in head:
        raise ListFileError(
            "file_type",
            N_(
                "“{filename}” is not a CSV or XLSX file. Save the list as .xlsx or as CSV (UTF-8), and upload it again."
            ),
            filename=filename,
        )
    return "csv"


def empty_file(filename: str) -> ListFileError:
    return ListFileError(
        "file_empty", N_("“{filename}” is empty. Upload the file that holds the list."), filename=filename
    )


@contextmanager
def open_rows(fmt: str, filename: str, data: bytes, *, max_rows: int) -> Iterator[Iterator[Sequence[object]]]:
    """The rows of the file, header first; the XLSX workbook is closed when the block ends."""
    if fmt == "csv":
        yield _csv_rows(filename, data)
        return
    workbook = _open_workbook(filename, data, max_rows)
    try:
        with closing(_xlsx_rows(filename, workbook)) as rows:
            yield rows
    finally:
        workbook.close()


def _decode(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ListFileError(
            "file_encoding",
            N_(
                "“{filename}” is in a text encoding that is neither UTF-8 nor GB18030/GBK. "
                "Save it from Excel as “CSV UTF-8” or as .xlsx, and upload it again."
            ),
            filename=filename,
        ) from None


def _csv_rows(filename: str, data: bytes) -> Iterator[Sequence[object]]:
    text = _decode(filename, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ListFileError(
                "file_unreadable",
                N_(
                    "“{filename}” could not be read as CSV near line {line} ({reason}). "
                    "Save it again from Excel as “CSV UTF-8” or as .xlsx."
                ),
                filename=filename,
                line=reader.line_num,
                reason=str(exc),
            ) from None
        yield row


def _delimiter(text: str) -> str:
    """Comma, unless the first line has none and uses tabs or semicolons (some locales' Excel)."""
    first = text[: text.find("\n")] if "\n" in text else text
    for candidate in (",", "\t", ";"):
        if candidate in first:
            return candidate
    return ","


def _open_workbook(filename: str, data: bytes, max_rows: int) -> openpyxl.Workbook:
    unreadable = ListFileError(
        "file_unreadable",
        N_(
            "“{filename}” could not be read as an Excel workbook; it may be damaged or another kind of ZIP file. "
            "Open it in Excel or WPS, save it as .xlsx, and upload it again."
        ),
        filename=filename,
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    # Refuse a "ZIP bomb" before openpyxl loads its shared strings into memory. The sizes are the
    # ones the archive declares; zipfile never reads a member beyond its declared size.
    bombs = [
        member
        for member in members
        if member.file_size >= _RATIO_FROM_BYTES and member.file_size > _MAX_RATIO * max(member.compress_size, 1)
    ]
    shared = sum(member.file_size for member in members if member.filename.lower().endswith("sharedstrings.xml"))
    if bombs or shared > _SHARED_STRINGS_BASE_BYTES + max_rows * _SHARED_STRINGS_BYTES_PER_ROW:
        raise ListFileError(
            "file_expands_too_much",
            N_(
                "“{filename}” expands to far more data than its size suggests (over {ratio} times), as no real "
                "list does. It was not opened. Save the list again from Excel or WPS as .xlsx, and upload it again."
            ),
            filename=filename,
            ratio=_MAX_RATIO,
        )
    if sum(member.file_size for member in members) > _XLSX_BASE_BYTES + max_rows * _XLSX_BYTES_PER_ROW:
        raise ListFileError(
            "file_too_large",
            N_(
                "“{filename}” holds far more data than a list of at most {max_rows} rows. "
                "Remove other sheets and pictures, or split the list, and upload it again."
            ),
            filename=filename,
            max_rows=max_rows,
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        # openpyxl fails on damaged or foreign ZIPs with many exception types; all mean the same here.
        raise unreadable from None
    if not workbook.worksheets:
        workbook.close()
        raise empty_file(filename)
    return workbook


def _xlsx_rows(filename: str, workbook: openpyxl.Workbook) -> Generator[Sequence[object], None, None]:
    sheet = workbook.worksheets[0]
    # The size a file declares can be wrong (some exporters write "A1"), and openpyxl would stop there.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:
            raise ListFileError(
                "file_unreadable",
                N_(
                    "“{filename}” could not be read to the end; the workbook may be damaged. "
                    "Open it in Excel or WPS, save it as .xlsx, and upload it again."
                ),
                filename=filename,
            ) from None
        yield row
