"""Generate app/domain/data/holidays.json from the chinesecalendar package (one-off, not imported).

Usage: .venv/bin/python tools/gen_holidays.py > app/domain/data/holidays.json

Only what changes the working-day count is stored: statutory holidays that fall on a weekday
(weekends inside a holiday block are rest days anyway) and make-up working days on a weekend
(调休上班日). Data: chinesecalendar 1.11.0, years 2004-2026.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import chinese_calendar  # type: ignore[import-untyped]
from chinese_calendar.constants import holidays, workdays  # type: ignore[import-untyped]


def year_entry(year: int) -> dict[str, object]:
    """Return the non-working weekdays and working weekend days of one year."""
    off = sorted(d for d in holidays if d.year == year and d.weekday() < 5)
    on = sorted(d for d in workdays if d.year == year and d.weekday() >= 5)
    return {
        "year": year,
        "holidays": [d.isoformat() for d in off],
        "makeup_workdays": [d.isoformat() for d in on],
    }


def main() -> None:
    """Print the JSON document, one year per line."""
    years = sorted({d.year for d in holidays})
    lines = [json.dumps(year_entry(y), ensure_ascii=False, separators=(",", ":")) for y in years]
    version = getattr(chinese_calendar, "__version__", "1.11.0")
    out = sys.stdout
    out.write("{\n")
    out.write(f'"source":"chinesecalendar {version}",\n')
    out.write(f'"generated":"{dt.date.today().isoformat()}",\n')
    out.write('"years":[\n' + ",\n".join(lines) + "\n]}\n")


if __name__ == "__main__":
    main()
