"""How far the holiday table reaches, and when the back office must warn that it runs out.

Working days cannot be counted in a year whose holidays are not loaded (docs/rules.md "Working
days"), so certificates from exams late in the last loaded year get no publication date until the
next year's State Council notice is loaded. The banner appears 60 days before the table ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

BANNER_DAYS = 60


def covered_until(years: Iterable[int], today: date) -> date | None:
    """The last day of the unbroken run of loaded years from today's year; None without today's year."""
    loaded = set(years)
    if today.year not in loaded:
        return None
    year = today.year
    while year + 1 in loaded:
        year += 1
    return date(year, 12, 31)


def days_left(end: date | None, today: date) -> int:
    """Days from today to the last covered day (0 on that day, negative or 0 when nothing is covered)."""
    return (end - today).days if end is not None else 0


def banner_due(end: date | None, today: date, warn_days: int = BANNER_DAYS) -> bool:
    """Whether every back-office page warns: the table ends within `warn_days` (or has ended)."""
    return end is None or (end - today).days <= warn_days
