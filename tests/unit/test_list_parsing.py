"""SPEC §10: authority list files (case lists, risk areas, test results) from CSV or XLSX, checked row by row.

Every resident ID here is made up: a region code, a birth date and a sequence number, completed with
the check character stdnum computes. None belongs to a real person.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime

import openpyxl
import pytest
from benchmarks import listgen
from stdnum.cn import ric

from healthcode.domain.documents import DocumentType
from healthcode.lists.parsing import (
    AreaRow,
    CaseRow,
    ListFileError,
    ParsedFile,
    RejectedRow,
    TestRow,
    detect_format,
    parse_list_file,
)
from healthcode.lists.report import read_rows, report_csv, seal_rows

TODAY = date(2026, 3, 1)
FEB5 = date(2020, 2, 5)
EXCEL_DATE = datetime(2020, 2, 5)  # noqa: DTZ001 - Excel date cells have no time zone; openpyxl reads them naive
T = DocumentType


def citizen(region: str = "150102", born: str = "19900307", sequence: str = "123") -> str:
    """A made-up GB 11643 number with a correct check character."""
    body = region + born + sequence
    return body + ric.calc_check_digit(body + "0")


ID = citizen()
ID2 = citizen("150105", "19600615", "045")
ID_X = citizen("110101", "19900307", "002")  # its check character is X
assert ID_X.endswith("X")

Cell = object
Rows = Sequence[Sequence[Cell]]


def csv_file(rows: Rows, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(*sheets: Rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for number, rows in enumerate(sheets, start=1):
        sheet = workbook.create_sheet(f"Sheet{number}")
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parse(
    kind: str, rows: Rows, fmt: str = "csv", *, max_rows: int = 1_000_000, progress: Callable[[int], None] | None = None
) -> ParsedFile:
    data = xlsx_file(rows) if fmt == "xlsx" else csv_file(rows)
    return parse_list_file(kind, f"list.{fmt}", data, today=TODAY, max_rows=max_rows, progress=progress)


def cases(parsed: ParsedFile) -> list[CaseRow]:
    accepted = [row for row in parsed.accepted if isinstance(row, CaseRow)]
    assert len(accepted) == len(parsed.accepted)
    return accepted


def areas(parsed: ParsedFile) -> list[AreaRow]:
    accepted = [row for row in parsed.accepted if isinstance(row, AreaRow)]
    assert len(accepted) == len(parsed.accepted)
    return accepted


def file_error(kind: str, filename: str, data: bytes, *, max_rows: int = 1_000_000) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_list_file(kind, filename, data, today=TODAY, max_rows=max_rows)
    return caught.value


CASE_HEADER = ["document_type", "document_number", "list", "since", "until"]
AREA_HEADER = ["region_code", "level", "effective_from", "effective_to"]
GOOD_CASE = ["", ID2, "confirmed", "2020-02-01", ""]
GOOD_AREA = ["150105", "high", "2020-02-01", ""]


# --- headers ---------------------------------------------------------------------------------------

CASE = CaseRow(2, T.RESIDENT_ID, ID, "close_contact", FEB5, date(2020, 2, 19), "张三")


@pytest.mark.parametrize(
    ("header", "row"),
    [
        pytest.param(
            ["document_type", "document_number", "list", "since", "until", "name"],
            ["resident_id", ID, "close_contact", "2020-02-05", "2020-02-19", "张三"],
            id="english",
        ),
        pytest.param(
            ["证件类型", "证件号码", "名单类型", "起始日期", "截止日期", "姓名"],
            ["居民身份证", ID, "密切接触者", "2020-02-05", "2020-02-19", "张三"],
            id="chinese",
        ),
        pytest.param(
            ["Name", "备注", " LIST ", "Document Number", "SINCE", "截止日期"],
            ["张三", "from the CDC", "close_contact", ID, "2020-02-05", "2020-02-19"],
            id="any-order-any-case-extra-column-no-type",
        ),
        pytest.param(
            ["证件号码", "list", "起始日期", "until", "姓名", "document-type"],
            [ID, "密切接触者", "2020-02-05", "2020-02-19", "张三", "01"],
            id="mixed-languages",
        ),
    ],
)
def test_case_headers_in_either_language(header: list[str], row: list[str]) -> None:
    parsed = parse("cases", [header, row])
    assert (parsed.accepted, parsed.rejected, parsed.total) == ([CASE], [], 1)


AREA = AreaRow(2, "150105", "medium", FEB5, date(2020, 2, 19), "赛罕区")


@pytest.mark.parametrize(
    ("header", "row"),
    [
        pytest.param(
            ["region_code", "level", "effective_from", "effective_to", "name"],
            ["150105", "medium", "2020-02-05", "2020-02-19", "赛罕区"],
            id="english",
        ),
        pytest.param(
            ["地区代码", "风险等级", "生效日期", "解除日期", "地区名称"],
            ["150105", "中风险", "2020-02-05", "2020-02-19", "赛罕区"],
            id="chinese",
        ),
        pytest.param(
            ["地区名称", "Effective_To", "LEVEL", "Region Code", "生效日期", "说明"],
            ["赛罕区", "2020-02-19", "中", "150105", "2020-02-05", "extra"],
            id="any-order-any-case-extra-column",
        ),
    ],
)
def test_area_headers_in_either_language(header: list[str], row: list[str]) -> None:
    parsed = parse("areas", [header, row])
    assert (parsed.accepted, parsed.rejected, parsed.total) == ([AREA], [], 1)


# --- values ----------------------------------------------------------------------------------------

HK_PERMIT_RESIDENCE = citizen("810000", "19800101")


@pytest.mark.parametrize(
    ("typed", "number", "doc_type"),
    [
        ("", ID, T.RESIDENT_ID),  # the default
        ("resident_id", ID, T.RESIDENT_ID),
        ("居民身份证", ID, T.RESIDENT_ID),
        ("01", ID, T.RESIDENT_ID),
        ("1", ID, T.RESIDENT_ID),  # Excel dropped the zero
        ("户口簿", ID, T.HOUSEHOLD_REGISTER),
        ("02", ID, T.HOUSEHOLD_REGISTER),
        ("Passport", "E12345678", T.PASSPORT),
        ("护照", "E12345678", T.PASSPORT),
        ("03", "E12345678", T.PASSPORT),
        ("港澳居民来往内地通行证", "H12345678", T.HK_MACAO_PERMIT),
        ("06", "H12345678", T.HK_MACAO_PERMIT),
        ("台湾居民来往大陆通行证", "12345678", T.TAIWAN_PERMIT),
        ("07", "12345678", T.TAIWAN_PERMIT),
        ("外国人永久居留身份证", "ABC123456789012", T.FOREIGN_PERMANENT_RESIDENT_ID),
        ("08", "ABC123456789012", T.FOREIGN_PERMANENT_RESIDENT_ID),
        ("港澳台居民居住证", HK_PERMIT_RESIDENCE, T.HK_MACAO_TAIWAN_RESIDENCE_PERMIT),
        ("09", HK_PERMIT_RESIDENCE, T.HK_MACAO_TAIWAN_RESIDENCE_PERMIT),
        ("出生医学证明", "O150123456", T.BIRTH_CERTIFICATE),
        ("11", "O150123456", T.BIRTH_CERTIFICATE),
    ],
)
def test_document_types_by_api_word_chinese_name_or_health_card_code(
    typed: str, number: str, doc_type: DocumentType
) -> None:
    [row] = cases(parse("cases", [CASE_HEADER, [typed, number, "confirmed", "2020-02-05", ""]]))
    assert (row.document_type, row.document_number) == (doc_type, number)


def test_document_numbers_are_stored_as_an_application_stores_them() -> None:
    [row] = cases(parse("cases", [CASE_HEADER, ["", f" {ID_X.lower()} ", "confirmed", "2020-02-05", ""]]))
    assert row.document_number == ID_X


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("confirmed", "confirmed"),
        ("确诊", "confirmed"),
        ("suspected", "suspected"),
        ("疑似", "suspected"),
        ("asymptomatic", "asymptomatic"),
        ("无症状感染者", "asymptomatic"),
        ("close_contact", "close_contact"),
        ("Close Contact", "close_contact"),
        ("密切接触者", "close_contact"),
        ("secondary_contact", "secondary_contact"),
        ("次密切接触者", "secondary_contact"),
        ("isolation", "isolation"),
        ("隔离人员", "isolation"),
    ],
)
def test_list_kinds_in_either_language(typed: str, kind: str) -> None:
    [row] = cases(parse("cases", [CASE_HEADER, ["", ID, typed, "2020-02-05", ""]]))
    assert row.kind == kind


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("high", "high"),
        ("HIGH", "high"),
        ("高", "high"),
        ("高风险", "high"),
        ("medium", "medium"),
        ("中", "medium"),
        ("中风险", "medium"),
        ("low", "low"),
        ("低", "low"),
        ("低风险", "low"),
    ],
)
def test_risk_levels_in_either_language(typed: str, level: str) -> None:
    [row] = areas(parse("areas", [AREA_HEADER, ["150105", typed, "2020-02-05", ""]]))
    assert row.level == level


@pytest.mark.parametrize(
    ("fmt", "cell"),
    [
        ("csv", "2020-02-05"),
        ("csv", "2020/02/05"),
        ("csv", "20200205"),
        ("csv", "2020/2/5"),  # how Chinese Excel writes a date cell to CSV
        ("csv", "2020-2-5"),
        ("csv", "2020.02.05"),
        ("csv", "2020年2月5日"),
        ("csv", "２０２０－０２－０５"),  # full-width, from a Chinese input method
        ("csv", "2020/2/5 0:00"),  # a date-time cell saved as CSV
        ("csv", " 2020-02-05 "),
        ("xlsx", EXCEL_DATE),  # an Excel date cell
        ("xlsx", date(2020, 2, 5)),
        ("xlsx", 20200205),  # YYYYMMDD typed into a number cell
        ("xlsx", "2020-02-05"),  # a text cell
    ],
)
def test_dates_in_every_accepted_form(fmt: str, cell: Cell) -> None:
    [row] = cases(parse("cases", [CASE_HEADER, ["", ID, "confirmed", cell, cell]], fmt=fmt))
    assert (row.since, row.until) == (FEB5, FEB5)


@pytest.mark.parametrize(
    "cell", ["2020-02-30", "05/02/2020", "2020-0205", "2020/02-05", "2020-02", "43866", "1820-02-05", "yesterday"]
)
def test_dates_in_other_forms_are_rejected(cell: str) -> None:
    [rejected] = parse("cases", [CASE_HEADER, ["", ID, "confirmed", cell, ""]]).rejected
    assert (rejected.code, rejected.column) == ("date_invalid", "since")
    assert cell in rejected.message


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("张 三", "张三"),
        ("阿卜杜•热合曼", "阿卜杜·热合曼"),
        (" John  Smith ", "John Smith"),
        ("张三（父）", "张三（父）"),
        ("", None),
    ],
)
def test_names_are_normalised_when_valid_and_kept_as_typed_otherwise(cell: str, name: str | None) -> None:
    header = [*CASE_HEADER, "姓名"]
    [row] = cases(parse("cases", [header, ["", ID, "confirmed", "2020-02-05", "", cell]]))
    assert row.name == name


# --- rejected rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (["", ID[:-1], "confirmed", "2020-02-05", ""], "document_length", "document_number"),
        (
            ["", ID[:-1] + ("1" if ID[-1] != "1" else "2"), "confirmed", "2020-02-05", ""],
            "document_checksum",
            "document_number",
        ),
        (["", citizen("999999"), "confirmed", "2020-02-05", ""], "document_region", "document_number"),
        (["", citizen("810000"), "confirmed", "2020-02-05", ""], "document_region", "document_number"),
        (["", citizen(born="20260302"), "confirmed", "2020-02-05", ""], "document_birth_date", "document_number"),
        (["", "15010219900307123A", "confirmed", "2020-02-05", ""], "document_format", "document_number"),
        (["护照", "E1", "confirmed", "2020-02-05", ""], "document_format", "document_number"),
        (["驾驶证", ID, "confirmed", "2020-02-05", ""], "document_type_unknown", "document_type"),
        (["", ID, "治愈", "2020-02-05", ""], "list_kind_unknown", "list"),
        (["", ID, "confirmed", "2020-02-30", ""], "date_invalid", "since"),
        (["", ID, "confirmed", "2020-02-05", "soon"], "date_invalid", "until"),
        (["", ID, "confirmed", "2020-02-05", "2020-02-04"], "date_order", "until"),
        (["", "", "confirmed", "2020-02-05", ""], "required_missing", "document_number"),
        (["", ID, " ", "2020-02-05", ""], "required_missing", "list"),
        (["", ID, "confirmed", "", ""], "required_missing", "since"),
        (["", ID, "confirmed"], "required_missing", "since"),  # a short CSV row
    ],
)
def test_case_rows_are_rejected_with_code_line_and_column(row: list[str], code: str, column: str) -> None:
    parsed = parse("cases", [CASE_HEADER, GOOD_CASE, row])
    assert [(r.line, r.column, r.code) for r in parsed.rejected] == [(3, column, code)]
    assert len(parsed.accepted) == 1
    assert parsed.total == 2
    rejected = parsed.rejected[0]
    assert rejected.message.endswith(".")
    assert "{" not in rejected.message
    assert rejected.raw == dict(zip(CASE_HEADER, [cell.strip() for cell in [*row, "", ""][:5]], strict=True))


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (["1501", "high", "2020-02-05", ""], "region_unknown", "region_code"),
        (["150199", "high", "2020-02-05", ""], "region_unknown", "region_code"),  # no such county
        (["Hohhot", "high", "2020-02-05", ""], "region_unknown", "region_code"),
        (["150105", "严重", "2020-02-05", ""], "level_unknown", "level"),
        (["150105", "high", "2020-13-01", ""], "date_invalid", "effective_from"),
        (["150105", "high", "2020-02-05", "later"], "date_invalid", "effective_to"),
        (["150105", "high", "2020-02-05", "2020-01-05"], "date_order", "effective_to"),
        (["", "high", "2020-02-05", ""], "required_missing", "region_code"),
        (["150105", "", "2020-02-05", ""], "required_missing", "level"),
        (["150105", "high", "", ""], "required_missing", "effective_from"),
    ],
)
def test_area_rows_are_rejected_with_code_line_and_column(row: list[str], code: str, column: str) -> None:
    parsed = parse("areas", [AREA_HEADER, GOOD_AREA, row])
    assert [(r.line, r.column, r.code) for r in parsed.rejected] == [(3, column, code)]
    assert (len(parsed.accepted), parsed.total) == (1, 2)


def test_region_codes_from_number_cells_and_full_width_digits() -> None:
    parsed = parse(
        "areas", [AREA_HEADER, [150105, "high", "2020-02-05"], ["１５０１０２", "high", "2020-02-05"]], "xlsx"
    )
    assert [(row.line, row.region_code) for row in areas(parsed)] == [(2, "150105"), (3, "150102")]


def test_a_row_reports_its_first_problem_only() -> None:
    parsed = parse("cases", [CASE_HEADER, ["驾驶证", "123", "治愈", "never", ""]])
    assert [(r.column, r.code) for r in parsed.rejected] == [("document_type", "document_type_unknown")]


def test_line_numbers_are_the_files_and_blank_rows_are_skipped() -> None:
    rows = [CASE_HEADER, GOOD_CASE, [], ["", "", "", "", ""], ["", ID[:-1], "confirmed", "2020-02-05", ""]]
    for fmt in ("csv", "xlsx"):
        parsed = parse("cases", rows, fmt)
        assert [r.line for r in parsed.rejected] == [5]
        assert parsed.total == 2


def test_excel_number_cells_that_lost_digits_are_refused_with_the_reason() -> None:
    # Excel keeps 15 significant digits: the cell holds 150102199003071200-ish, whatever was typed.
    in_xlsx = parse("cases", [CASE_HEADER, ["", int(ID), "confirmed", "2020-02-05"]], "xlsx")
    in_csv = parse("cases", [CASE_HEADER, ["", "1.50102E+17", "confirmed", "2020-02-05"]])
    assert [(r.code, r.column) for r in in_xlsx.rejected] == [("document_format", "document_number")]
    assert [(r.code, r.column) for r in in_csv.rejected] == [("document_length", "document_number")]
    for parsed in (in_xlsx, in_csv):
        assert "15 digits" in parsed.rejected[0].message


# --- duplicates ------------------------------------------------------------------------------------


def test_a_document_repeated_on_the_same_list_is_kept_once() -> None:
    parsed = parse(
        "cases",
        [
            CASE_HEADER,
            ["", ID_X, "confirmed", "2020-02-05", ""],
            ["", ID_X, "close_contact", "2020-02-05", ""],  # another list: kept
            ["01", ID_X.lower(), "确诊", "2020-02-06", ""],  # the same document and list, written otherwise
            ["", ID, "confirmed", "2020-02-05", ""],
        ],
    )
    assert [(row.line, row.kind) for row in cases(parsed)] == [
        (2, "confirmed"),
        (3, "close_contact"),
        (5, "confirmed"),
    ]
    assert [(r.line, r.column, r.code) for r in parsed.rejected] == [(4, "document_number", "duplicate_row")]
    assert "line 2" in parsed.rejected[0].message


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate() -> None:
    parsed = parse("cases", [CASE_HEADER, ["", ID, "confirmed", "never", ""], ["", ID, "confirmed", "2020-02-05", ""]])
    assert [row.line for row in parsed.accepted] == [3]
    assert [r.code for r in parsed.rejected] == ["date_invalid"]


def test_an_area_repeated_from_the_same_day_is_kept_once() -> None:
    parsed = parse(
        "areas",
        [
            AREA_HEADER,
            ["150105", "high", "2020-02-05", ""],
            ["150105", "low", "2020-02-20", ""],  # a later change: kept
            ["150105", "medium", "2020-02-05", ""],  # contradicts line 2
        ],
    )
    assert [row.line for row in parsed.accepted] == [2, 3]
    assert [(r.line, r.column, r.code) for r in parsed.rejected] == [(4, "region_code", "duplicate_row")]


# --- files -----------------------------------------------------------------------------------------

CHINESE_ROWS = [
    ["证件类型", "证件号码", "姓名", "名单类型", "起始日期", "截止日期"],
    ["居民身份证", ID, "张三", "确诊", "2020-02-05", ""],
    ["护照", "E12345678", "李四", "隔离人员", "2020/02/05", "20200219"],
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(encoding: str) -> None:
    parsed = parse_list_file("cases", "名单.csv", csv_file(CHINESE_ROWS, encoding), today=TODAY)
    assert [(row.document_type, row.name, row.kind) for row in cases(parsed)] == [
        (T.RESIDENT_ID, "张三", "confirmed"),
        (T.PASSPORT, "李四", "isolation"),
    ]
    assert parsed.rejected == []


def test_tab_separated_text_is_read_too() -> None:
    parsed = parse_list_file("cases", "list.txt", csv_file(CHINESE_ROWS, delimiter="\t"), today=TODAY)
    assert len(parsed.accepted) == 2


def test_xlsx_and_csv_with_the_same_content_parse_the_same() -> None:
    rows: list[list[Cell]] = [
        [*CHINESE_ROWS[0], "备注"],
        ["居民身份证", ID, "张三", "确诊", "2020-02-05", "", "first"],
        ["", ID2, "", "密切接触者", "20200205", "2020-02-19", ""],
        ["", ID2, "", "密接", "2020-02-06", "", "duplicate"],
        ["驾驶证", ID, "王五", "确诊", "2020-02-05", "", "unknown type"],
        ["", ID[:-1], "赵六", "疑似", "2020-02-05", "", "short number"],
        ["", ID_X, "", "无症状感染者", "2020-02-05", "2020-02-01", "dates reversed"],
    ]
    from_csv = parse("cases", rows, "csv")
    from_xlsx = parse("cases", rows, "xlsx")
    assert from_xlsx == from_csv
    assert (len(from_csv.accepted), len(from_csv.rejected), from_csv.total) == (2, 4, 6)
    # Date cells in the workbook, text in the CSV: the same rows.
    rows[1][4] = EXCEL_DATE
    assert parse("cases", rows, "xlsx") == from_csv


def test_xlsx_is_read_from_its_first_sheet() -> None:
    data = xlsx_file([CASE_HEADER, GOOD_CASE], [["notes"], ["not a list"]])
    parsed = parse_list_file("cases", "list.xlsx", data, today=TODAY)
    assert (len(parsed.accepted), parsed.total) == (1, 1)


@pytest.mark.parametrize(
    ("kind", "header", "missing"),
    [
        ("cases", ["证件类型", "名单类型", "起始日期"], ["document_number"]),
        ("cases", ["document_number", "list"], ["since"]),
        ("cases", ["证件号码"], ["list", "since"]),
        ("areas", ["地区代码", "生效日期"], ["level"]),
        ("areas", CASE_HEADER, ["region_code", "level", "effective_from"]),  # a case list uploaded as areas
    ],
)
def test_a_missing_required_column_is_named(kind: str, header: list[str], missing: list[str]) -> None:
    error = file_error(kind, "list.csv", csv_file([header, ["x"] * len(header)]))
    assert error.code == "file_column_missing"
    assert error.params["missing"] == missing
    chinese = {"document_number": "证件号码", "since": "起始日期", "list": "名单类型", "level": "风险等级"}
    for name in missing:
        assert name in error.message
        assert chinese.get(name, "") in error.message


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("empty.csv", b"", "file_empty"),
        ("bom.csv", "\ufeff".encode(), "file_empty"),
        ("blank.csv", b"\r\n \r\n,,\r\n", "file_empty"),
        ("empty.xlsx", xlsx_file([]), "file_empty"),
        ("no-header.csv", csv_file([["a", "b"], ["1", "2"]]), "file_no_header"),
        ("data-first.csv", csv_file([["", ID, "confirmed", "2020-02-05"]]), "file_no_header"),
        ("title-row.xlsx", xlsx_file([["2020年2月5日确诊名单"], CASE_HEADER]), "file_no_header"),
        ("blank-first.csv", csv_file([[], CASE_HEADER]), "file_no_header"),
        ("twice.csv", csv_file([["document_number", "证件号码", "list", "since"]]), "file_column_repeated"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_type"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "file_type"),
        ("unicode.txt", "证件号码\t名单类型".encode("utf-16"), "file_type"),
        ("latin.csv", b"document_number,list,since\n\xff\xfe\xff,x,y\n", "file_encoding"),
        ("broken.xlsx", b"PK\x03\x04" + bytes(200), "file_unreadable"),
    ],
)
def test_unusable_files(filename: str, data: bytes, code: str) -> None:
    error = file_error("cases", filename, data)
    assert error.code == code
    assert error.message.endswith(".")
    assert "{" not in error.message


def test_too_many_rows() -> None:
    rows = [CASE_HEADER, GOOD_CASE, ["", ID, "confirmed", "2020-02-05", ""], []]
    assert parse("cases", rows, max_rows=2).total == 2  # the blank row does not count
    error = file_error("cases", "list.csv", csv_file([*rows, GOOD_CASE]), max_rows=2)
    assert (error.code, error.params["max_rows"]) == ("file_too_many_rows", 2)


def test_a_header_without_rows_is_an_empty_list() -> None:
    assert parse("cases", [CASE_HEADER]) == ParsedFile("cases", [], [], 0)


def test_the_kind_must_be_cases_areas_or_tests() -> None:
    with pytest.raises(ValueError, match="kind"):
        parse_list_file("people", "list.csv", csv_file([CASE_HEADER]), today=TODAY)


@pytest.mark.parametrize(
    ("filename", "head", "fmt"),
    [
        ("list.xlsx", b"PK\x03\x04\x14\x00", "xlsx"),
        ("list.csv", b"PK\x03\x04\x14\x00", "xlsx"),  # judged by content, not by name
        ("list.xlsx", "证件号码,名单类型".encode(), "csv"),
        ("list", b"document_number,list", "csv"),
    ],
)
def test_detect_format_by_content(filename: str, head: bytes, fmt: str) -> None:
    assert detect_format(filename, head) == fmt


# --- report and progress ---------------------------------------------------------------------------


def kept_report(parsed: ParsedFile, language: str = "en") -> bytes:
    """The CSV a reader downloads: the rows sealed with the import, read back, written in ``language``."""
    return report_csv(read_rows(seal_rows(parsed.rejected)), language)


def test_rejected_report_round_trips_through_csv() -> None:
    rows = [
        CHINESE_ROWS[0],
        ["", ID, "张三", "确诊", "2020-02-05", ""],
        ["", ID[:-1], "李四", "确诊", "2020-02-05", ""],
        ["", '=HYPERLINK("http://x")', "王五", "疑似", "2020-02-05", ""],
        ["", ID, "张三", "治愈", "2020-02-05", ""],
    ]
    parsed = parse("cases", rows)
    report = kept_report(parsed)
    assert report.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    lines = list(csv.DictReader(io.StringIO(report.decode("utf-8-sig"))))
    assert list(lines[0]) == ["line", "column", "code", "message", *CHINESE_ROWS[0]]
    assert [(r["line"], r["column"], r["code"]) for r in lines] == [
        ("3", "document_number", "document_length"),
        ("4", "document_number", "document_length"),
        ("5", "list", "list_kind_unknown"),
    ]
    assert [r["姓名"] for r in lines] == ["李四", "王五", "张三"]
    assert all(r["message"] == rejected.message for r, rejected in zip(lines, parsed.rejected, strict=True))
    # A cell of the uploaded file never becomes a live formula in the operator's spreadsheet.
    assert lines[1]["证件号码"] == '\'=HYPERLINK("http://x")'


def test_report_of_a_clean_file_is_its_header() -> None:
    assert kept_report(parse("cases", [CASE_HEADER, GOOD_CASE])) == b"\xef\xbb\xbfline,column,code,message\r\n"


def test_raw_rows_keep_every_column_of_the_file_under_its_header() -> None:
    header = ["证件号码", "备注", "名单类型", "", "备注", "起始日期", None, None]  # trailing styled cells
    parsed = parse("cases", [header, [ID, "a", "治愈", "b", "c", "2020-02-05", "", "d"]], "xlsx")
    assert parsed.rejected[0].raw == {
        "证件号码": ID,
        "备注": "a",
        "名单类型": "治愈",
        "column 4": "b",
        "备注 (column 5)": "c",
        "起始日期": "2020-02-05",
        "column 8": "d",
    }


def test_report_keeps_cells_beyond_the_header() -> None:
    parsed = ParsedFile("cases", [], [RejectedRow(2, None, "x", "m.", {}, {"a": "1", "column 3": "extra"})], 1)
    [line] = csv.DictReader(io.StringIO(kept_report(parsed).decode("utf-8-sig")))
    assert (line["column"], line["a"], line["column 3"]) == ("", "1", "extra")


def test_reasons_are_kept_as_messages_and_said_in_each_readers_language() -> None:
    rows = [CASE_HEADER, ["", ID[:-1], "confirmed", "2020-02-05", ""], ["", ID, "治愈", "2020-02-05", ""]]
    parsed = parse("cases", rows)
    english = list(csv.DictReader(io.StringIO(kept_report(parsed, "en").decode("utf-8-sig"))))
    chinese = list(csv.DictReader(io.StringIO(kept_report(parsed, "zh_CN").decode("utf-8-sig"))))
    assert english[0]["message"] == "The number has 17 characters but must have 18. Check for a missing or extra digit."
    assert chinese[0]["message"] == parsed.rejected[0].reason("zh_CN")
    assert "17" in chinese[0]["message"]
    assert "The number" not in chinese[0]["message"]
    assert "治愈" in chinese[1]["message"]
    assert "is not a list" not in chinese[1]["message"]
    assert [r["code"] for r in chinese] == [r["code"] for r in english] == ["document_length", "list_kind_unknown"]


def test_an_older_imports_english_report_reads_back_as_it_was() -> None:
    """Imports made before the rows were kept as messages kept an English CSV: it still downloads."""
    older = (
        "\ufeffline,column,code,message,证件号码,姓名\r\n3,list,list_kind_unknown,“治愈” is not a list.,'=1,张三\r\n"
    )
    [row] = read_rows(older.encode())
    assert (row.line, row.column, row.code) == (3, "list", "list_kind_unknown")
    assert row.reason("zh_CN") == "“治愈” is not a list."
    assert row.raw == {"证件号码": "'=1", "姓名": "张三"}
    assert kept_report(ParsedFile("cases", [], [row], 1)).decode("utf-8-sig") == older.lstrip("\ufeff")


def test_progress_is_reported_every_ten_thousand_rows() -> None:
    day = date(1990, 1, 1).toordinal()
    rows = [AREA_HEADER] + [["150105", "high", date.fromordinal(day + n).isoformat(), ""] for n in range(25_000)]
    rows.insert(5, [])  # blank rows are not counted
    calls: list[int] = []
    parsed = parse("areas", rows, progress=calls.append)
    assert calls == [10_000, 20_000]
    assert (parsed.total, len(parsed.accepted)) == (25_000, 25_000)


@pytest.mark.parametrize("make", [listgen.case_list_csv, listgen.case_list_xlsx])
def test_generated_benchmark_lists_are_valid(make: Callable[..., bytes]) -> None:
    data = make(300, seed=7)
    parsed = parse_list_file("cases", "bench", data, today=TODAY)
    assert (parsed.total, parsed.rejected) == (300, [])
    assert [row.document_number for row in cases(parsed)] == listgen.numbers(300, seed=7)
    assert len(set(listgen.numbers(300, seed=7))) == 300


def workbook_with_shared_strings(expanded_mb: int, *, dense: bool = False) -> bytes:
    """A real little case list plus a shared-strings part of ``expanded_mb`` MB: one string over
    and over (a "ZIP bomb": a few hundred KB), or ``dense`` text that hardly compresses."""
    source = zipfile.ZipFile(io.BytesIO(listgen.case_list_xlsx(3)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            bomb.writestr(member, source.read(member))
        with bomb.open("xl/sharedStrings.xml", "w") as part:
            for _ in range(expanded_mb * 1024):
                text = base64.b64encode(os.urandom(762)) if dense else b"A" * 1016
                part.write(b"<si><t>" + text + b"</t></si>")
    return out.getvalue()


def test_a_spreadsheet_bomb_is_refused_before_anything_is_parsed() -> None:
    data = workbook_with_shared_strings(200)
    assert len(data) < 1_000_000, "a small file..."
    with pytest.raises(ListFileError) as refused:
        parse_list_file("cases", "bomb.xlsx", data, today=TODAY)
    assert refused.value.code == "file_expands_too_much"
    assert "over 200 times" in refused.value.message


def test_shared_strings_are_bounded_by_the_rows_a_list_may_have() -> None:
    data = workbook_with_shared_strings(2, dense=True)
    assert parse_list_file("cases", "ok.xlsx", data, today=TODAY).total == 3
    with pytest.raises(ListFileError) as refused:
        parse_list_file("cases", "big.xlsx", workbook_with_shared_strings(9, dense=True), today=TODAY, max_rows=10)
    assert refused.value.code == "file_expands_too_much"


# --- test results ----------------------------------------------------------------------------------

TEST_HEADER = ["document_number", "taken_on", "result"]


@pytest.mark.parametrize(
    ("header", "row"),
    [
        pytest.param(
            ["document_type", "document_number", "name", "taken_on", "result", "lab"],
            ["resident_id", ID, "张三", "2020-02-05", "positive", "第一检测中心"],
            id="english",
        ),
        pytest.param(
            ["证件类型", "证件号码", "姓名", "采样日期", "检测结果", "检测机构"],
            ["居民身份证", ID, "张三", "2020年2月5日", "阳性", "第一检测中心"],
            id="chinese",
        ),
    ],
)
def test_test_results_in_either_language(header: list[str], row: list[str]) -> None:
    parsed = parse("tests", [header, row])
    expected = TestRow(2, T.RESIDENT_ID, ID, FEB5, True, "张三", "第一检测中心")
    assert (parsed.accepted, parsed.rejected, parsed.total) == ([expected], [], 1)


@pytest.mark.parametrize(
    ("typed", "positive"), [("阳性", True), ("Positive", True), ("阴性", False), ("NEGATIVE", False)]
)
def test_test_results_are_positive_or_negative(typed: str, positive: bool) -> None:
    (row,) = parse("tests", [TEST_HEADER, [ID, "2020-02-05", typed]]).accepted
    assert isinstance(row, TestRow)
    assert row.positive is positive


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        ([ID, "2020-02-05", "inconclusive"], "result_unknown", "result"),
        ([ID, "2020-02-05", ""], "required_missing", "result"),
        ([ID, "", "positive"], "required_missing", "taken_on"),
        ([ID, "2026-03-02", "positive"], "date_future", "taken_on"),
        (["150102199003071234", "2020-02-05", "positive"], "document_checksum", "document_number"),
    ],
)
def test_test_result_rows_are_rejected_with_code_and_column(row: list[str], code: str, column: str) -> None:
    parsed = parse("tests", [TEST_HEADER, row])
    assert parsed.accepted == []
    assert [(r.line, r.code, r.column) for r in parsed.rejected] == [(2, code, column)]
    assert parsed.rejected[0].message


def test_the_same_result_twice_is_kept_once_but_two_results_of_a_day_both_count() -> None:
    parsed = parse(
        "tests",
        [TEST_HEADER, [ID, "2020-02-05", "阳性"], [ID, "2020-02-05", "positive"], [ID, "2020-02-05", "阴性"]],
    )
    assert [(r.line, r.positive) for r in parsed.accepted if isinstance(r, TestRow)] == [(2, True), (4, False)]
    assert [(r.line, r.code) for r in parsed.rejected] == [(3, "duplicate_row")]


def test_a_test_file_needs_its_sample_date_and_result_columns() -> None:
    error = file_error("tests", "tests.csv", csv_file([["document_number"], [ID]]))
    assert error.code == "file_column_missing"
    assert error.params["missing"] == ["taken_on", "result"]
