"""Reading the exam system's export: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX, streamed."""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.domain.errors import UserError
from app.domain.importrows import Cell, canonical_header
from app.services.importlimits import (
    MAX_CELL_CHARS,
    MAX_CSV_ROWS,
    MAX_XLSX_ROWS,
    Member,
    archive_problem,
    cell_too_long,
    long_cell,
    too_many_rows,
)

_CHUNK = 1 << 20
BROKEN_XLSX = "XLSX文件已损坏或不是Excel 2007及以上格式"
# Cells longer than Excel allows are not certificate data: a process that imports (the CLI) sets this
# as the csv module's field size limit, which is process-wide, so that such a cell is refused, not
# buffered. Without it the csv module's own default (128 KiB) bounds the buffer, and every record is
# still checked against MAX_CELL_CHARS.
MAX_CSV_FIELD = MAX_CELL_CHARS
_CSV_FIELD_TOO_LONG = "field larger than field limit"  # the csv module's words for it


class ImportRefused(UserError):
    """The file as a whole cannot be imported; `message` is Chinese, nothing was written."""


@dataclass
class Source:
    """An opened export: its headers, a row iterator and the row count for the progress bar."""

    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Cell]]]
    total: int | None
    encoding: str


# Opens the file's bytes afresh each call: a path's `open("rb")`, or a sealed upload's reader
# (app.storage.sealedfile), which must be seekable for XLSX.
Opener = Callable[[], BinaryIO]


def open_source(path: Path, opener: Opener | None = None) -> Source:
    """Open a CSV or XLSX file by its content (not its name); `opener` reads it from elsewhere than `path`."""
    if opener is None:
        if not path.is_file():
            raise ImportRefused(f"文件不存在：{path}")
        opener = functools.partial(_open_binary, path)
    with opener() as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        return _open_xlsx(opener)
    return _open_csv(opener)


def _open_binary(path: Path) -> BinaryIO:
    return path.open("rb")


def detect_encoding(opener: Opener) -> tuple[str, int]:
    """Decode the whole file once (streamed) to choose UTF-8 or GB18030; also count lines."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with opener() as fh:
                while chunk := fh.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise ImportRefused("文件含有二进制内容，不是CSV文本或XLSX表格")
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
            return encoding, lines
        except UnicodeDecodeError:
            continue
    raise ImportRefused("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的CSV")


def _open_csv(opener: Opener) -> Source:
    encoding, lines = detect_encoding(opener)
    _refuse_if(too_many_rows(lines, MAX_CSV_ROWS))
    fh = io.TextIOWrapper(opener(), encoding=encoding, newline="")
    reader = csv.reader(fh)
    records = _csv_records(reader)
    try:
        headers = _first_nonblank(records)
    except ImportRefused:
        fh.close()
        raise
    if headers is None:
        fh.close()
        raise ImportRefused("文件为空：没有表头")

    columns = [canonical_header(h) for h in headers]

    def rows() -> Iterator[tuple[int, dict[str, Cell]]]:
        with fh:
            for cells in records:
                if "".join(cells).strip():  # not a blank line
                    yield reader.line_num, _row_dict(columns, cells)

    return Source(columns, rows(), max(lines - 1, 0), encoding)


def _csv_records(reader: Any) -> Iterator[list[str]]:
    """The reader's records, a malformed one or an over-long cell refusing the file with its line."""
    try:
        for cells in reader:
            _refuse_if(long_cell(reader.line_num, cells))
            yield cells
    except csv.Error as exc:
        if str(exc).startswith(_CSV_FIELD_TOO_LONG):
            raise ImportRefused(cell_too_long(reader.line_num)) from exc
        raise ImportRefused(f"第{reader.line_num}行CSV格式错误：{exc}") from exc


def _first_nonblank(reader: Iterator[list[str]]) -> list[str] | None:
    for cells in reader:
        if any(c.strip() for c in cells):
            return cells
    return None


def _refuse_if(problem: str | None) -> None:
    if problem is not None:
        raise ImportRefused(problem)


# A row with more cells than headers keeps its extras under this key so validation can report it.
EXTRA_CELLS = "__extra__"


def _row_dict(columns: list[str], cells: Sequence[Cell]) -> dict[str, Cell]:
    """The cells by canonical column name; cells missing at the end of a short row are absent."""
    row: dict[str, Cell] = dict(zip(columns, cells, strict=False))
    if len(cells) > len(columns):
        extras = [c for c in cells[len(columns):] if c not in (None, "")]
        if extras:
            row[EXTRA_CELLS] = str(len(extras))
    return row


def check_archive(opener: Opener) -> None:
    """Refuse an XLSX archive whose declared sizes or compression ratios are out of bounds."""
    try:
        with opener() as fh, zipfile.ZipFile(fh) as archive:
            members = [Member(i.filename, i.file_size, i.compress_size) for i in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(BROKEN_XLSX) from exc
    _refuse_if(archive_problem(members))


def _open_xlsx(opener: Opener) -> Source:
    check_archive(opener)
    try:
        # data_only=False: formula cells come back as "=..." so they can be refused, not trusted.
        # A read-only workbook reads the file until it is closed; a file object given to it stays ours to close.
        raw = opener()
        book = load_workbook(raw, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raw.close()
        raise ImportRefused(BROKEN_XLSX) from exc
    close = functools.partial(_close_book, book, raw)
    sheet = book.worksheets[0]
    if sheet.max_row and sheet.max_row > MAX_XLSX_ROWS:  # the sheet's own <dimension>, when it has one
        close()
        _refuse_if(too_many_rows(sheet.max_row, MAX_XLSX_ROWS))
    values = _xlsx_rows(close, sheet.iter_rows(values_only=True))
    first = next(((number, cells) for number, cells in values if any(c not in (None, "") for c in cells)), None)
    if first is None:
        close()
        raise ImportRefused("表格为空：没有表头")
    number, headers = first
    total = (sheet.max_row - number) if sheet.max_row else None
    columns = [canonical_header(str(h) if h is not None else "") for h in headers]

    def rows() -> Iterator[tuple[int, dict[str, Cell]]]:
        try:
            for line, cells in values:
                if any(c not in (None, "") for c in cells):
                    yield line, _row_dict(columns, cells)
        finally:
            close()

    return Source(columns, rows(), total, "xlsx")


def _xlsx_rows(close: Callable[[], None], values: Iterator[tuple[Cell, ...]]) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """Numbered rows of the sheet; past Excel's row or cell limits, or a damaged part, the file is refused."""
    number = 0
    try:
        for cells in values:
            number += 1
            _refuse_if(too_many_rows(number, MAX_XLSX_ROWS) or long_cell(number, cells))
            yield number, cells
    except ImportRefused:
        close()
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:  # a part fails its CRC or does not parse
        close()
        raise ImportRefused(f"第{number + 1}行附近XLSX文件已损坏") from exc


def _close_book(book: Any, raw: BinaryIO) -> None:
    with contextlib.closing(raw):
        book.close()
