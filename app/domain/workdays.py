"""Working-day arithmetic over a holiday table kept as data; a year without data is never guessed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_DATA_DIR = Path(__file__).parent / "data"

# Every year of China's working calendar is set by a State Council notice, usually in November for
# the next year (make-up weekends included), so a missing year cannot be derived from weekdays.


@dataclass(frozen=True)
class YearCalendar:
    """One year's statutory holidays and make-up working days (调休上班日)."""

    year: int
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]


class CalendarUnavailable(Exception):
    """Raised when a date falls in a year whose holiday arrangement is not loaded."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.message = f"{year}年节假日安排尚未发布，暂无法确定日期"
        super().__init__(self.message)


class YearFileError(ValueError):
    """A human-written year file that is not valid: `message` names the problem in Chinese (the back
    office shows it); str() adds the English for the command line."""

    def __init__(self, message: str, english: str) -> None:
        self.message = message
        super().__init__(f"{message} / {english}")


class HolidayCalendar:
    """Answers 'is this a working day' for the years it holds data for."""

    def __init__(self, years: Mapping[int, YearCalendar]) -> None:
        self._years = dict(years)

    def years(self) -> list[int]:
        """Return the years with data, ascending."""
        return sorted(self._years)

    def with_year(self, year: YearCalendar) -> HolidayCalendar:
        """Return a new calendar with `year` added or replaced."""
        return HolidayCalendar({**self._years, year.year: year})

    def is_workday(self, day: dt.date) -> bool:
        """Tell whether `day` is a working day; raise CalendarUnavailable without data."""
        year = self._years.get(day.year)
        if year is None:
            raise CalendarUnavailable(day.year)
        if day in year.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in year.holidays

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """Return the n-th working day after `start` (start itself is never counted)."""
        # docs/rules.md "Working days": counting starts the day after, even when `start` is a holiday
        # (chinese_calendar.find_workday is one day late in that case, so we count ourselves).
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start, 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day


def _dates(values: Iterable[str]) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(v) for v in values)


def load_default_calendar() -> HolidayCalendar:
    """Load data/holidays.json (seeded from chinesecalendar 1.11.0, 2004–2026)."""
    doc = json.loads((_DATA_DIR / "holidays.json").read_text("utf-8"))
    years = {
        e["year"]: YearCalendar(e["year"], _dates(e["holidays"]), _dates(e["makeup_workdays"]))
        for e in doc["years"]
    }
    return HolidayCalendar(years)


def parse_year_file(text: str) -> YearCalendar:
    """Parse and strictly validate {"year": 2027, "holidays": [...], "makeup_workdays": [...]}."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise YearFileError(f"文件不是有效的JSON格式（第{exc.lineno}行附近）", f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise YearFileError("文件内容应为一个JSON对象（以 { 开头）", "expected a JSON object")
    unknown = set(doc) - {"year", "holidays", "makeup_workdays", "source"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise YearFileError(f"文件中有不认识的字段：{names}", f"unknown keys: {names}")
    year = doc.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise YearFileError("year（年份）必须是2000–2100之间的整数", "year must be an integer 2000-2100")
    holidays = _parse_list(doc, "holidays", year)
    makeup = _parse_list(doc, "makeup_workdays", year)
    _check_year_lists(holidays, makeup)
    return YearCalendar(year, holidays, makeup)


def _parse_list(doc: dict[str, object], key: str, year: int) -> frozenset[dt.date]:
    """Parse one list of ISO dates, all inside `year`, without duplicates."""
    values = doc.get(key)
    if not isinstance(values, list):
        raise YearFileError(f"{key} 必须是日期列表，如 [\"{year}-01-01\"]",
                            f"{key} must be a list of YYYY-MM-DD strings")
    days: list[dt.date] = []
    for value in values:
        try:
            day = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise YearFileError(f"{key} 中的日期无效：{value!r}（应写成 {year}-01-01 的形式）",
                                f"{key}: invalid date: {value!r}")
        if day.year != year:
            raise YearFileError(f"{key} 中的 {value} 不在{year}年", f"{key}: {value} is not in {year}")
        days.append(day)
    if len(set(days)) != len(days):
        raise YearFileError(f"{key} 中有重复的日期", f"{key}: duplicate dates")
    return frozenset(days)


def _check_year_lists(holidays: frozenset[dt.date], makeup: frozenset[dt.date]) -> None:
    """Reject contradictions: a day in both lists, or a make-up day that is not a weekend."""
    both = sorted(holidays & makeup)
    if both:
        day = both[0].isoformat()
        raise YearFileError(f"{day} 同时写成了假日和调休上班日", f"in both lists: {day}")
    weekdays = sorted(d for d in makeup if d.weekday() < 5)
    if weekdays:
        day = weekdays[0].isoformat()
        raise YearFileError(f"调休上班日必须是周六或周日：{day} 不是", f"make-up workdays must be weekends: {day}")
    # Holidays on a weekend are accepted (a notice lists whole blocks); they change nothing.
