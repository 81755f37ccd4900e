"""How far the holiday table reaches and when the back office warns (app/domain/coverage.py)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.coverage import banner_due, covered_until, days_left

D = date


@pytest.mark.parametrize(("years", "today", "end"), [
    ([2025, 2026], D(2026, 12, 3), D(2026, 12, 31)),
    ([2025, 2026, 2027], D(2026, 12, 3), D(2027, 12, 31)),
    ([2026, 2028], D(2026, 12, 3), D(2026, 12, 31)),  # a gap ends the run: 2027 cannot be counted
    ([2025], D(2026, 1, 2), None),  # today's own year is missing
    ([], D(2026, 1, 2), None),
])
def test_coverage_is_the_unbroken_run_of_years_from_today(years: list[int], today: date, end: date | None) -> None:
    assert covered_until(years, today) == end


@pytest.mark.parametrize(("end", "today", "due", "left"), [
    (D(2026, 12, 31), D(2026, 12, 3), True, 28),  # the case: the banner shows now
    (D(2026, 12, 31), D(2026, 11, 1), True, 60),  # within 60 days, both ends counted
    (D(2026, 12, 31), D(2026, 10, 31), False, 61),
    (D(2027, 12, 31), D(2026, 12, 3), False, 393),  # once 2027 is loaded the banner goes
    (D(2026, 12, 31), D(2026, 12, 31), True, 0),
    (None, D(2027, 1, 4), True, 0),  # nothing covers today: always warn
])
def test_the_banner_shows_once_the_table_ends_within_60_days(end: date | None, today: date, due: bool,
                                                             left: int) -> None:
    assert banner_due(end, today) is due
    assert days_left(end, today) == left
