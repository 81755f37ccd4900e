"""Reading the exam system's export: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX, streamed."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.domain.errors import UserError
from app.domain.importrows import Cell, canonical_header

_CHUNK = 1 << 20
# Cells longer than this are not certificate data: a process that imports (the CLI) sets it as the
# csv module's field size limit, which is process-wide, so that such a cell is refused, not buffered.
# Without it the csv module's own default (128 KiB) applies.
MAX_CSV_FIELD = 64 * 1024


class ImportRefused(UserError):
    """The file as a whole cannot be imported; `message` is Chinese, nothing was written."""


@dataclass
class Source:
    """An opened export: its headers, a row iterator and the row count for the progress bar."""

    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Cell]]]
    total: int | None
    encoding: str


def open_source(path: Path) -> Source:
    """Open a CSV or XLSX file by its content (not its name)."""
    if not path.is_file():
        raise ImportRefused(f"文件不存在：{path}")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        return _open_xlsx(path)
    return _open_csv(path)


def detect_encoding(path: Path) -> tuple[str, int]:
    """Decode the whole file once (streamed) to choose UTF-8 or GB18030; also count lines."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with path.open("rb") as fh:
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


def _open_csv(path: Path) -> Source:
    encoding, lines = detect_encoding(path)
    fh = path.open("r", encoding=encoding, newline="")
    reader = csv.reader(fh)
    headers = _first_nonblank(reader)
    if headers is None:
        fh.close()
        raise ImportRefused("文件为空：没有表头")

    columns = [canonical_header(h) for h in headers]

    def rows() -> Iterator[tuple[int, dict[str, Cell]]]:
        with fh:
            try:
                for cells in reader:
                    if "".join(cells).strip():  # not a blank line
                        yield reader.line_num, _row_dict(columns, cells)
            except csv.Error as exc:
                raise ImportRefused(f"第{reader.line_num}行CSV格式错误：{exc}") from exc

    return Source(columns, rows(), max(lines - 1, 0), encoding)


def _first_nonblank(reader: Iterator[list[str]]) -> list[str] | None:
    for cells in reader:
        if any(c.strip() for c in cells):
            return cells
    return None


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


def _open_xlsx(path: Path) -> Source:
    try:
        # data_only=False: formula cells come back as "=..." so they can be refused, not trusted.
        book = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRefused("XLSX文件已损坏或不是Excel 2007及以上格式") from exc
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    headers: list[str] | None = None
    number = 0
    for cells in values:
        number += 1
        if any(c not in (None, "") for c in cells):
            headers = [str(c) if c is not None else "" for c in cells]
            break
    if headers is None:
        book.close()
        raise ImportRefused("表格为空：没有表头")
    total = (sheet.max_row - number) if sheet.max_row else None
    columns = [canonical_header(h) for h in headers]

    def rows() -> Iterator[tuple[int, dict[str, Cell]]]:
        nonlocal number
        try:
            for cells in values:
                number += 1
                if any(c not in (None, "") for c in cells):
                    yield number, _row_dict(columns, cells)
        finally:
            book.close()

    return Source(columns, rows(), total, "xlsx")
