"""How large an import file may be, decided before it is parsed, and the words for a refusal.

An XLSX file is a zip archive: 412 KB can hold a 400 MB cell, 194 KB three million rows. The
archive's directory declares every member's size, and Python's zipfile never inflates a member
past its declared size (it stops there and fails the CRC check), so the declared sizes are a safe
upper bound to judge before anything is inflated. The caps follow Excel's own limits where there
is one: no genuine export exceeds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
MAX_CELL_CHARS = 32_767          # Excel's limit for one cell
MAX_XLSX_ROWS = 1_048_576        # Excel's limit for one sheet (header included)
MAX_CSV_ROWS = 5_000_000         # a province's whole register (see docs/import-format.md)
MAX_MEMBERS = 1_000              # a workbook has a few dozen parts
MAX_UNCOMPRESSED = 2048 * MIB    # a full sheet of exported rows is about 1 GB of XML
MAX_SHARED_STRINGS = 256 * MIB   # openpyxl keeps every shared string in memory
SHARED_STRINGS = "xl/sharedStrings.xml"
MAX_RATIO = 100                  # exported sheets compress about 10:1; Apache POI refuses past 100:1
RATIO_FROM = MIB                 # small parts compress as they like


@dataclass(frozen=True)
class Member:
    """One part of the archive as its directory declares it."""

    name: str
    size: int          # uncompressed bytes
    compressed: int


def archive_problem(members: list[Member]) -> str | None:
    """Why an XLSX archive must not be opened (Chinese, for the operator), or None."""
    if len(members) > MAX_MEMBERS:
        return f"XLSX文件包含{len(members)}个部件，超过上限{MAX_MEMBERS}个，不是正常的Excel文件"
    total = sum(member.size for member in members)
    if total > MAX_UNCOMPRESSED:
        return f"XLSX文件解压后约{total // MIB}MB，超过上限{MAX_UNCOMPRESSED // MIB}MB，请分成多个文件导入"
    for member in members:
        if member.size >= RATIO_FROM and member.size > MAX_RATIO * max(member.compressed, 1):
            ratio = member.size // max(member.compressed, 1)
            return (f"XLSX文件中的{member.name}压缩比异常（约{ratio}倍，上限{MAX_RATIO}倍），"
                    "可能是恶意构造的文件")
        if member.name == SHARED_STRINGS and member.size > MAX_SHARED_STRINGS:
            return f"XLSX文件的共享文本部分超过{MAX_SHARED_STRINGS // MIB}MB，请分成多个文件导入"
    return None


def too_many_rows(line: int, cap: int) -> str | None:
    """The refusal for a file that reaches past its row cap at this line (1-based, header included)."""
    if line <= cap:
        return None
    return f"文件超过{cap}行（每个文件的上限），请分成多个文件导入"


def cell_too_long(line: int) -> str:
    """The refusal for a row holding a cell longer than Excel allows."""
    return f"第{line}行有超过{MAX_CELL_CHARS}个字符的单元格（Excel单元格的上限），不是正常的导出文件"


def long_cell(line: int, cells: Sequence[object]) -> str | None:
    """cell_too_long(line) if one of the cells is longer than Excel allows, else None."""
    if any(isinstance(cell, str) and len(cell) > MAX_CELL_CHARS for cell in cells):
        return cell_too_long(line)
    return None
