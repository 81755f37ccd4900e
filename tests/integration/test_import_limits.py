"""Hostile import files are refused with a clear message before they cost memory, time or disk.

The two files of issue 12: an XLSX of 412 KB holding one 400 MB inline cell (it ran 165 s and
peaked at 3.6 GB), and an XLSX of under 200 KB with 3,000,000 rows (it wrote a 2.1 GB report).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook

from app.services import importsource
from app.services.demo import HEADERS, generate_rows
from app.services.importsource import ImportRefused
from app.storage.models import Certificate, ImportRun
from tests.integration.test_import import GOOD, count, run_import, write_csv

SHEET = "xl/worksheets/sheet1.xml"
OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
CLOSE = b"</sheetData></worksheet>"


def _cell(text: bytes) -> bytes:
    return b'<c t="inlineStr"><is><t>' + text + b"</t></is></c>"


def _header_row() -> bytes:
    return b"<row>" + b"".join(_cell(h.encode()) for h in HEADERS) + b"</row>"


def craft_xlsx(path: Path, sheet: Iterator[bytes]) -> Path:
    """A real workbook (openpyxl) whose first sheet is replaced by the given XML, streamed and deflated."""
    base = io.BytesIO()
    Workbook().save(base)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in src.infolist():
            if item.filename == SHEET:
                with dst.open(SHEET, "w", force_zip64=True) as out:
                    for part in sheet:
                        out.write(part)
            else:
                dst.writestr(item, src.read(item.filename))
    return path


def one_huge_cell(megabytes: int) -> Iterator[bytes]:
    yield OPEN + _header_row() + b'<row><c t="inlineStr"><is><t>'
    block = b"A" * (1 << 20)
    for _ in range(megabytes):
        yield block
    yield b"</t></is></c></row>" + CLOSE


def many_rows(count_: int, cell: bytes = b"x") -> Iterator[bytes]:
    yield OPEN + _header_row()
    row = b"<row>" + _cell(cell) + b"</row>"
    for _ in range(count_ // 10_000):
        yield row * 10_000
    yield row * (count_ % 10_000) + CLOSE


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {"cell": craft_xlsx(folder / "cell.xlsx", one_huge_cell(400)),
            "rows": craft_xlsx(folder / "rows.xlsx", many_rows(3_000_000))}


@pytest.mark.parametrize("bomb", ["cell", "rows"])
def test_the_xlsx_bombs_of_the_issue_are_refused_before_parsing(app: Flask, tmp_path: Path,
                                                                bombs: dict[str, Path], bomb: str) -> None:
    assert bombs[bomb].stat().st_size < 500 * 1024
    report = io.StringIO()
    with pytest.raises(ImportRefused, match="压缩比异常") as refused:
        run_import(app, bombs[bomb], report=report)
    assert SHEET in refused.value.message
    assert report.getvalue() == "" and count(app, ImportRun) == 0 and count(app, Certificate) == 0


def test_an_xlsx_cell_longer_than_excel_allows_refuses_the_file(app: Flask, tmp_path: Path) -> None:
    # 120 KB of text: too small a part for the ratio check (openpyxl itself would cut it when writing).
    path = craft_xlsx(tmp_path / "a.xlsx", many_rows(1, cell="张".encode() * 40_000))
    with pytest.raises(ImportRefused, match="第2行有超过32767个字符的单元格"):
        run_import(app, path)
    assert count(app, Certificate) == 0


def test_an_xlsx_sheet_longer_than_its_cap_stops_with_a_clear_message(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows past Excel's 1,048,576 (here a cap of 50): the sheet has no <dimension> to refuse it earlier."""
    monkeypatch.setattr(importsource, "MAX_XLSX_ROWS", 50)
    path = craft_xlsx(tmp_path / "a.xlsx", many_rows(60))
    report = io.StringIO()
    with pytest.raises(ImportRefused, match="文件超过50行"):
        run_import(app, path, report=report, batch_size=10)
    assert max(int(line[0]) for line in list(csv.reader(io.StringIO(report.getvalue())))[1:]) == 50


def test_a_csv_longer_than_its_cap_is_refused_before_anything_is_written(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importsource, "MAX_CSV_ROWS", 20)
    path = write_csv(tmp_path / "a.csv", list(generate_rows(30, seed=5)), headers=HEADERS)
    with pytest.raises(ImportRefused, match="文件超过20行"):
        run_import(app, path)
    assert count(app, ImportRun) == 0 and count(app, Certificate) == 0


def test_the_report_keeps_rejected_rows_short_and_formula_free(app: Flask, tmp_path: Path) -> None:
    bad = {**GOOD, "证件号码": "\t=cmd|' /C calc'!A0", "单位名称": "长" * 5_000}
    report = io.StringIO()
    summary = run_import(app, write_csv(tmp_path / "a.csv", [GOOD, bad]), report=report)
    assert (summary.accepted, summary.rejected) == (1, 1)
    [header, *lines] = list(csv.reader(io.StringIO(report.getvalue())))
    for line in lines:
        cells = dict(zip(header, line, strict=True))
        assert cells["证件号码"].startswith("'\t=") and len(cells["单位名称"]) <= 200
