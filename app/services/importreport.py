"""The report of rejected rows: a CSV the operator opens in Excel, fixes and imports again.

Its cells come from the imported file, so they are neutralised before Excel can read them as
formulas (CSV injection, OWASP: a leading =, +, -, @, tab or carriage return), and it is bounded:
a hostile file must not turn into a report of gigabytes. The run's summary still counts every
rejected row; past MAX_REPORT_LINES the report says how it was cut short.
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

from app.domain.importrows import RowError

MAX_REPORT_LINES = 10_000       # rejected rows listed (one line per reason)
MAX_REPORT_CELL_CHARS = 200     # longer cells are cut, with an ellipsis
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CUT_SHORT = f"报告最多列出{MAX_REPORT_LINES}条，其余被拒绝的行未列出（被拒绝的总行数见导入摘要）"


def neutralise(text: str) -> str:
    """A cell Excel will show as text: a leading formula character gets a quote before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_cell(value: Any) -> str:
    """One cell as written to the report: shortened, and never read by Excel as a formula."""
    text = "" if value is None else str(value)
    if len(text) > MAX_REPORT_CELL_CHARS:
        text = text[:MAX_REPORT_CELL_CHARS - 1] + "…"
    return neutralise(text)


class ReportWriter:
    """Rejected rows with row number, column and reason, plus the original cells to fix and re-import."""

    def __init__(self, out: TextIO | None, headers: list[str]) -> None:
        self.headers = headers
        self.writer = csv.writer(out) if out else None
        self.lines = 0
        if self.writer:
            self.writer.writerow([report_cell(h) for h in ["行号", "列", "原因", *headers]])

    def write(self, errors: list[RowError], row: dict[str, Any]) -> None:
        if not self.writer or self.lines > MAX_REPORT_LINES:
            return
        cells = [report_cell(row.get(h)) for h in self.headers]
        for error in errors:
            self.lines += 1
            if self.lines > MAX_REPORT_LINES:
                self.writer.writerow(["", "", CUT_SHORT])
                return
            self.writer.writerow([error.row, report_cell(error.column), report_cell(error.message), *cells])
