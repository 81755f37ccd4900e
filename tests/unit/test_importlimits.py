"""Import size limits judged before parsing, and the bounded, formula-safe report of rejected rows."""

from __future__ import annotations

import csv
import io

import pytest

from app.domain.importrows import RowError
from app.services.importlimits import (
    MAX_CELL_CHARS,
    MAX_RATIO,
    MAX_SHARED_STRINGS,
    MAX_UNCOMPRESSED,
    MIB,
    Member,
    archive_problem,
    long_cell,
    too_many_rows,
)
from app.services.importreport import CUT_SHORT, MAX_REPORT_CELL_CHARS, MAX_REPORT_LINES, ReportWriter, report_cell

SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = [Member("[Content_Types].xml", 983, 283), Member("xl/workbook.xml", 552, 304)]


@pytest.mark.parametrize(("members", "words"), [
    ([*WORKBOOK, Member(SHEET, 17 * MIB, 17 * MIB // 10)], None),            # a real export: about 10:1
    ([*WORKBOOK, Member(SHEET, 900 * MIB, 90 * MIB)], None),                 # a full sheet of rows
    ([*WORKBOOK, Member("xl/theme/theme1.xml", 10_140, 10)], None),          # small parts may compress freely
    ([*WORKBOOK, Member(SHEET, 400 * MIB, 412 * 1024)], "压缩比异常"),        # the 400 MB cell in 412 KB
    ([*WORKBOOK, Member(SHEET, 120 * MIB, 194 * 1024)], "压缩比异常"),        # three million rows in 194 KB
    ([*WORKBOOK, Member(SHEET, MAX_RATIO * MIB + 1, MIB)], "压缩比异常"),
    ([*WORKBOOK, Member(SHEET, MAX_RATIO * MIB, MIB)], None),
    ([*WORKBOOK, Member(SHEET, MAX_UNCOMPRESSED, MAX_UNCOMPRESSED // 2)], "解压后约"),
    ([*WORKBOOK, Member("xl/sharedStrings.xml", MAX_SHARED_STRINGS + 1, MAX_SHARED_STRINGS)], "共享文本"),
    ([Member(f"xl/media/image{i}.png", 10, 10) for i in range(1001)], "部件"),
])
def test_which_archives_are_refused_before_parsing(members: list[Member], words: str | None) -> None:
    problem = archive_problem(members)
    assert problem is None if words is None else (problem is not None and words in problem)


@pytest.mark.parametrize(("line", "cap", "refused"), [(10, 10, False), (11, 10, True), (1, 1, False)])
def test_the_row_cap(line: int, cap: int, refused: bool) -> None:
    problem = too_many_rows(line, cap)
    assert (problem is not None) is refused
    assert problem is None or f"超过{cap}行" in problem


@pytest.mark.parametrize(("cells", "refused"), [
    (("张伟", None, 3, "x" * MAX_CELL_CHARS), False),
    (("张伟", "x" * (MAX_CELL_CHARS + 1)), True),
    ((), False),
])
def test_a_cell_longer_than_excel_allows_refuses_the_file(cells: tuple[object, ...], refused: bool) -> None:
    problem = long_cell(7, cells)
    assert (problem is not None) is refused
    assert problem is None or problem.startswith("第7行")


@pytest.mark.parametrize(("value", "written"), [
    ("张伟", "张伟"),
    (None, ""),
    (42, "42"),
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"),
    ("\r=1+1", "'\r=1+1"),
    ("a=1", "a=1"),
    ("x" * 500, "x" * (MAX_REPORT_CELL_CHARS - 1) + "…"),
])
def test_report_cells_are_short_and_never_formulas(value: object, written: str) -> None:
    assert report_cell(value) == written


def test_the_report_stops_listing_after_its_limit_and_says_so() -> None:
    out = io.StringIO()
    report = ReportWriter(out, ["姓名", "=evil"])
    for number in range(MAX_REPORT_LINES + 50):
        report.write([RowError(number, "姓名", "格式错误")], {"姓名": "x" * 10_000, "=evil": "1"})
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == ["行号", "列", "原因", "姓名", "'=evil"]
    assert len(lines) == 1 + MAX_REPORT_LINES + 1 and lines[-1][2] == CUT_SHORT
    assert max(len(cell) for line in lines for cell in line) <= MAX_REPORT_CELL_CHARS
