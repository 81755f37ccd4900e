"""How long a request may wait on a dependency: the rules behind the timeouts and readiness."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.calendar import missing_years
from app.storage.db import JOB_LIMITS, Limits, driver_timeouts, statement_limit_sql


@pytest.mark.parametrize(("version", "seconds", "sql"), [
    ("10.11.6-MariaDB-0+deb12u1", 2.5, "SET SESSION max_statement_time = 2.5"),
    ("11.4.2-MariaDB", 3.0, "SET SESSION max_statement_time = 3"),
    ("8.0.36", 2.5, "SET SESSION max_execution_time = 2500"),  # MySQL: milliseconds, SELECT only
])
def test_the_statement_limit_is_set_in_each_servers_own_words(version: str, seconds: float, sql: str) -> None:
    assert statement_limit_sql(version, seconds) == sql


@pytest.mark.parametrize(("driver", "limits", "args"), [
    ("pymysql", Limits(connect=2, read=3, write=3, statement=2.5),
     {"connect_timeout": 2, "read_timeout": 3, "write_timeout": 3}),
    ("pymysql", JOB_LIMITS, {"connect_timeout": 2}),  # migrations and imports: only connecting is bounded
    ("mysqldb", Limits(), {}),  # another driver spells its options differently: none of ours
])
def test_requests_wait_on_the_database_for_seconds_and_jobs_only_to_connect(
        driver: str, limits: Limits, args: dict[str, float]) -> None:
    assert driver_timeouts(driver, limits) == args


@pytest.mark.parametrize(("years", "today", "missing"), [
    ([2025, 2026], date(2026, 3, 1), []),
    ([2025, 2026], date(2026, 11, 1), []),  # 60 days later is still 2026
    ([2025, 2026], date(2026, 11, 2), [2027]),  # 60 days later is 2027-01-01
    ([2025, 2026], date(2026, 12, 3), [2027]),
    ([2026, 2027], date(2026, 12, 3), []),
    ([2024], date(2026, 5, 1), [2026]),
])
def test_the_holiday_table_must_cover_today_and_the_next_sixty_days(years: list[int], today: date,
                                                                    missing: list[int]) -> None:
    assert missing_years(years, today, 60) == missing
