"""The holiday calendar in force: the shipped table plus years loaded by operators."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.workdays import HolidayCalendar, YearCalendar, load_default_calendar
from app.services.timeutil import utc_naive
from app.storage.models import CalendarYear
from app.storage.models._common import utcnow

_CACHE_SECONDS = 60.0
_cache: dict[str, tuple[float, HolidayCalendar]] = {}


@lru_cache(maxsize=1)
def _shipped() -> HolidayCalendar:
    return load_default_calendar()


def current_calendar(session: Session) -> HolidayCalendar:
    """Shipped years overlaid with loaded ones; cached briefly per process (a load is rare)."""
    key = str(session.get_bind().engine.url)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    calendar = _shipped()
    for row in session.scalars(select(CalendarYear)):
        calendar = calendar.with_year(_year_from_row(row))
    _cache[key] = (time.monotonic(), calendar)
    return calendar


def _year_from_row(row: CalendarYear) -> YearCalendar:
    def dates(text: str) -> frozenset[date]:
        return frozenset(date.fromisoformat(d) for d in json.loads(text))

    return YearCalendar(row.year, dates(row.holidays), dates(row.makeup_workdays))


def store_year(session: Session, year: YearCalendar, now: datetime | None = None) -> None:
    """Save (or replace) a year's holidays and make-up working days, noting when."""
    row = session.get(CalendarYear, year.year) or CalendarYear(year=year.year)
    row.holidays = json.dumps(sorted(d.isoformat() for d in year.holidays))
    row.makeup_workdays = json.dumps(sorted(d.isoformat() for d in year.makeup_workdays))
    row.loaded_at = utc_naive(now) if now else utcnow()
    session.add(row)
    _cache.clear()


def missing_years(years: list[int], today: date, days_ahead: int) -> list[int]:
    """Years between today and `days_ahead` days later that the calendar has no data for.

    Working-day deadlines (publication after an exam, renewal reviews) need every day they count over.
    """
    needed = range(today.year, (today + timedelta(days=days_ahead)).year + 1)
    return [year for year in needed if year not in years]
