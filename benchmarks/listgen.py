"""Large, valid case-list files for benchmarks and manual tests of the authority import (SPEC §10).

Every resident ID here is made up: a real Inner Mongolia region code, a birth date from 1940 to 2020
and a sequence number, completed with the check character stdnum computes. The same ``n`` and
``seed`` always give the same file, and :func:`numbers` gives its document numbers in file order,
so a benchmark can first create the cards the list will name. The files look like an authority's
export: Chinese headers, Chinese list names, UTF-8 with BOM for CSV and date cells for XLSX.

    python -m benchmarks.listgen 100000 var/cases.csv var/cases.xlsx   # write files
    python -m benchmarks.listgen 100000 --parse                        # time the parser on both
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from stdnum.cn import ric

REGIONS = ("150102", "150103", "150104", "150105", "150121", "150122")  # Hohhot's districts and counties
HEADER = ("证件类型", "证件号码", "姓名", "名单类型", "起始日期", "截止日期")
# Contacts far outnumber cases on real lists.
KINDS = ("确诊", "疑似", "无症状感染者", "密切接触者", "次密切接触者", "隔离人员")
KIND_WEIGHTS = (1, 1, 1, 4, 4, 3)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛"
)
_BORN_FROM = date(1940, 1, 1)
_BORN_DAYS = (date(2020, 12, 31) - _BORN_FROM).days + 1
_LISTED_FROM = date(2020, 1, 20)
_LISTED_DAYS = 70


def numbers(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct resident ID numbers, in the order the files of the same ``seed`` list them."""
    rng = random.Random(seed)
    seen: set[str] = set()
    result: list[str] = []
    while len(result) < n:
        born = _BORN_FROM + timedelta(days=rng.randrange(_BORN_DAYS))
        body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        if body in seen:
            continue
        seen.add(body)
        result.append(body + ric.calc_check_digit(body + "0"))  # stdnum wants a placeholder check digit
    return result


def _rows(n: int, seed: int) -> Iterator[tuple[str, str, str, str, date, date | None]]:
    rng = random.Random(f"listgen-rows-{seed}")
    for number in numbers(n, seed):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        since = _LISTED_FROM + timedelta(days=rng.randrange(_LISTED_DAYS))
        until = since + timedelta(days=14) if rng.random() < 0.5 else None
        yield ("居民身份证", number, name, kind, since, until)


def case_list_csv(n: int, seed: int = 1) -> bytes:
    """A case list of ``n`` valid, distinct rows as CSV, UTF-8 with BOM (Excel's "CSV UTF-8")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for doc_type, number, name, kind, since, until in _rows(n, seed):
        writer.writerow((doc_type, number, name, kind, since.isoformat(), until.isoformat() if until else ""))
    return out.getvalue().encode("utf-8-sig")


def case_list_xlsx(n: int, seed: int = 1) -> bytes:
    """The same list as :func:`case_list_csv`, as an XLSX workbook with date cells."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("名单")
    sheet.append(HEADER)
    for row in _rows(n, seed):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("paths", nargs="*", type=Path, help="files to write, .csv or .xlsx")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parse", action="store_true", help="time parse_list_file on a CSV and an XLSX")
    args = parser.parse_args()
    for path in args.paths:
        make = case_list_xlsx if path.suffix == ".xlsx" else case_list_csv
        path.write_bytes(make(args.rows, args.seed))
    if args.parse:
        from healthcode.lists.parsing import parse_list_file

        for name, make in (("cases.csv", case_list_csv), ("cases.xlsx", case_list_xlsx)):
            data = make(args.rows, args.seed)
            started = time.perf_counter()
            parsed = parse_list_file("cases", name, data, today=date(2026, 3, 1))
            seconds = time.perf_counter() - started
            assert len(parsed.accepted) == args.rows, parsed.rejected[:3]
            size = len(data) / 1e6
            print(f"{name}: {args.rows} rows, {size:.1f} MB, {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
