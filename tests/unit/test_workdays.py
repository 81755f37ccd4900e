"""Working days over the holiday table: counting rules, missing years, year files."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from app.domain.workdays import (
    CalendarUnavailable,
    HolidayCalendar,
    YearCalendar,
    YearFileError,
    load_default_calendar,
    parse_year_file,
)

D = dt.date
CALENDAR = load_default_calendar()


@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        (D(2024, 9, 30), 1, D(2024, 10, 8), "passed the day before National Day: 1-7 Oct are off"),
        (D(2024, 9, 27), 1, D(2024, 9, 29), "make-up Sunday 29 Sep 2024 counts"),
        (D(2024, 2, 9), 1, D(2024, 2, 18), "Spring Festival 2024: 10-17 Feb off, make-up Sunday 18 Feb"),
        (D(2024, 10, 3), 1, D(2024, 10, 8), "start on a holiday: start never counted"),
        (D(2024, 10, 1), 10, D(2024, 10, 18), "ten working days from a holiday start, make-up Sat 12 Oct"),
        (D(2024, 3, 1), 10, D(2024, 3, 15), "an ordinary fortnight"),
        (D(2025, 12, 31), 1, D(2026, 1, 4), "crossing into 2026: New Year 1-3 Jan off, Sunday 4 Jan make-up"),
    ],
)
def test_adding_working_days_counts_from_the_day_after(
    start: dt.date, n: int, expected: dt.date, why: str
) -> None:
    assert CALENDAR.add_workdays(start, n) == expected, why


def test_counting_into_a_year_without_data_cannot_be_determined() -> None:
    with pytest.raises(CalendarUnavailable) as caught:
        CALENDAR.add_workdays(D(2026, 12, 24), 10)
    assert caught.value.year == 2027
    assert caught.value.message == "2027年节假日安排尚未发布，暂无法确定日期"


def test_a_date_in_a_year_without_data_is_never_guessed() -> None:
    with pytest.raises(CalendarUnavailable):
        CALENDAR.is_workday(D(2027, 3, 3))


def test_the_default_table_covers_2004_to_2026() -> None:
    assert CALENDAR.years() == list(range(2004, 2027))


def test_the_table_agrees_with_chinese_calendar_on_random_dates() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    rng = random.Random(20240601)
    for _ in range(200):
        day = D(2004, 1, 1) + dt.timedelta(days=rng.randrange((D(2026, 12, 31) - D(2004, 1, 1)).days))
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day


def test_adding_a_year_makes_its_dates_answerable() -> None:
    y2027 = YearCalendar(2027, frozenset({D(2027, 1, 1)}), frozenset())
    calendar = CALENDAR.with_year(y2027)
    assert calendar.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert 2027 not in CALENDAR.years()


def test_a_make_up_weekend_is_a_workday_and_a_weekday_holiday_is_not() -> None:
    calendar = HolidayCalendar(
        {2030: YearCalendar(2030, frozenset({D(2030, 1, 1)}), frozenset({D(2030, 1, 5)}))}
    )
    assert calendar.is_workday(D(2030, 1, 5))
    assert not calendar.is_workday(D(2030, 1, 1))
    assert not calendar.is_workday(D(2030, 1, 6))


GOOD_FILE = '{"year": 2027, "holidays": ["2027-01-01", "2027-02-08"], "makeup_workdays": ["2027-02-06"]}'


def test_a_well_formed_year_file_is_parsed() -> None:
    year = parse_year_file(GOOD_FILE)
    assert year == YearCalendar(2027, frozenset({D(2027, 1, 1), D(2027, 2, 8)}), frozenset({D(2027, 2, 6)}))


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("not json", "JSON"),
        ("[]", "JSON对象"),
        ('{"year": "2027", "holidays": [], "makeup_workdays": []}', "year"),
        ('{"year": 2027, "holidays": []}', "makeup_workdays"),
        ('{"year": 2027, "holidays": ["2027-02-30"], "makeup_workdays": []}', "2027-02-30"),
        ('{"year": 2027, "holidays": ["2026-12-31"], "makeup_workdays": []}', "不在2027年"),
        ('{"year": 2027, "holidays": ["2027-01-01", "2027-01-01"], "makeup_workdays": []}', "重复"),
        ('{"year": 2027, "holidays": ["2027-02-06"], "makeup_workdays": ["2027-02-06"]}', "同时"),
        ('{"year": 2027, "holidays": [], "makeup_workdays": ["2027-02-08"]}', "周六或周日"),
        ('{"year": 2027, "holidays": [], "makeup_workdays": [], "extra": 1}', "extra"),
    ],
)
def test_a_bad_year_file_is_refused_with_a_clear_reason(text: str, message_part: str) -> None:
    with pytest.raises(YearFileError, match=message_part) as refused:
        parse_year_file(text)
    message = refused.value.message  # the back office shows the Chinese half; the command line both
    assert message and " / " not in message and str(refused.value).startswith(message + " / ")
