"""An import job's shown state, pace and time left: pure decisions, table-tested."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.domain.importjobs import (
    QUEUE_WAIT,
    STALE_AFTER,
    JobState,
    Pace,
    is_finished,
    pace,
    percent,
    shown_state,
    waits_for_a_worker,
)
from app.web.filters import seconds_text

NOW = datetime(2026, 12, 3, 10, 0, 0)


@pytest.mark.parametrize(("state", "beat_ago", "shown"), [
    ("queued", None, JobState.QUEUED),
    ("running", timedelta(seconds=5), JobState.RUNNING),
    ("running", STALE_AFTER, JobState.RUNNING),
    ("running", STALE_AFTER + timedelta(seconds=1), JobState.FAILED),
    ("running", None, JobState.FAILED),
    ("done", timedelta(hours=5), JobState.DONE),
    ("failed", timedelta(seconds=1), JobState.FAILED),
])
def test_a_running_job_whose_heartbeat_stopped_is_shown_as_failed(state: str, beat_ago: timedelta | None,
                                                                   shown: JobState) -> None:
    beat = None if beat_ago is None else NOW - beat_ago
    assert shown_state(state, beat, NOW) is shown


def test_only_done_and_failed_jobs_stop_the_page_polling() -> None:
    assert [s for s in JobState if is_finished(s)] == [JobState.DONE, JobState.FAILED]


@pytest.mark.parametrize(("rows", "total", "elapsed", "expected"), [
    (0, 1000, 10, Pace(None, None)),          # nothing done yet: no speed to speak of
    (500, 1000, 0, Pace(None, None)),         # no time has passed
    (500, 1000, 10, Pace(50.0, 10)),          # half done in 10 s: 10 s left
    (500, None, 10, Pace(50.0, None)),        # no estimate of the total
    (1200, 1000, 10, Pace(120.0, 0)),         # the estimate was low: never negative
    (300, 1000, 7, Pace(300 / 7, 16)),
])
def test_time_left_is_the_rows_left_at_the_average_speed_so_far(rows: int, total: int | None, elapsed: int,
                                                                  expected: Pace) -> None:
    assert pace(rows, total, NOW - timedelta(seconds=elapsed), NOW) == expected


def test_without_a_start_time_there_is_no_pace() -> None:
    assert pace(100, 1000, None, NOW) == Pace(None, None)


@pytest.mark.parametrize(("rows", "total", "expected"), [
    (0, 100, 0), (50, 100, 50), (100, 100, 99), (150, 100, 99), (5, None, None), (5, 0, None)])
def test_percent_stays_below_100_until_the_job_is_done(rows: int, total: int | None, expected: int | None) -> None:
    assert percent(rows, total) == expected


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "—"), (0, "0 秒"), (59.6, "1 分 0 秒"), (75, "1 分 15 秒"), (3725, "1 小时 2 分"), (-3, "0 秒")])
def test_time_left_reads_in_chinese(seconds: float | None, text: str) -> None:
    assert seconds_text(seconds) == text


def test_the_stored_report_is_excel_friendly_and_cut_at_a_whole_line() -> None:
    from app.services.importjobs import MAX_REPORT_BYTES, bounded_report

    small = bounded_report("行号,列,原因\r\n2,证件号码,校验位错误\r\n")
    assert small.startswith(b"\xef\xbb\xbf") and small.decode("utf-8-sig").endswith("校验位错误\r\n")
    line = "3,姓名," + "很长的原因" * 40 + "\r\n"
    big = bounded_report("行号,列,原因\r\n" + line * (MAX_REPORT_BYTES // len(line.encode()) + 10))
    text = big.decode("utf-8-sig")
    assert len(big) <= MAX_REPORT_BYTES + 200 and text.endswith("其余行未列出（被拒绝的总行数见导入摘要）\r\n")
    assert all(row == "" or row.startswith(("行号", "3,", ",,报告")) for row in text.split("\r\n"))


@pytest.mark.parametrize(("state", "waited", "expected"), [
    (JobState.QUEUED, timedelta(seconds=5), False),
    (JobState.QUEUED, QUEUE_WAIT + timedelta(seconds=1), True),
    (JobState.RUNNING, timedelta(hours=1), False),
    (JobState.DONE, timedelta(hours=1), False),
])
def test_a_job_queued_too_long_says_the_worker_may_not_be_running(state: JobState, waited: timedelta,
                                                                   expected: bool) -> None:
    assert waits_for_a_worker(state, NOW - waited, NOW) is expected
