"""An import job's life as the back office shows it: its state, its speed and the time it has left.

A job runs outside the web request (a `flask worker` process, or a thread of the development
server) and writes a heartbeat while it runs. A process that dies cannot say so; a job whose
heartbeat is older than STALE_AFTER is therefore shown as failed, with the batches it committed
kept (each batch is one transaction: docs/import-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


STATE_LABELS = {JobState.QUEUED: "排队中", JobState.RUNNING: "正在导入", JobState.DONE: "已完成",
                JobState.FAILED: "失败"}
# The runner beats (and reports the rows read) every HEARTBEAT_SECONDS; many missed beats (a long commit,
# a busy machine) are not yet death.
HEARTBEAT_SECONDS = 2
STALE_AFTER = timedelta(seconds=90)
# A worker that died left whatever batches it had committed: the page says so.
DIED = "导入进程意外中断（超过90秒没有响应），已导入的批次已保存；重新导入同一文件时，已导入的行计为“未变”。"


def shown_state(state: str, heartbeat: datetime | None, now: datetime,
                stale_after: timedelta = STALE_AFTER) -> JobState:
    """The state to show: a running job whose heartbeat stopped is failed (its process died)."""
    current = JobState(state)
    if current is JobState.RUNNING and (heartbeat is None or now - heartbeat > stale_after):
        return JobState.FAILED
    return current


# A job still queued after this long is waiting for a worker that is not running: the page says so.
QUEUE_WAIT = timedelta(seconds=60)
NO_WORKER = "仍在排队：请确认后台导入进程（flask worker）正在运行。"


def waits_for_a_worker(state: JobState, created: datetime, now: datetime) -> bool:
    """Whether a queued job has waited longer than a running worker would have let it."""
    return state is JobState.QUEUED and now - created > QUEUE_WAIT


def is_finished(state: JobState) -> bool:
    """Whether the job will change no more (the page stops polling)."""
    return state in (JobState.DONE, JobState.FAILED)


@dataclass(frozen=True)
class Pace:
    """Rows per second so far and the seconds left at that pace (None while unknown)."""

    rows_per_second: float | None
    seconds_left: int | None


def pace(rows_done: int, total: int | None, started: datetime | None, now: datetime) -> Pace:
    """The average speed since the start and, with an estimated total, the time left at that speed."""
    if started is None or rows_done <= 0:
        return Pace(None, None)
    elapsed = (now - started).total_seconds()
    if elapsed <= 0:
        return Pace(None, None)
    rate = rows_done / elapsed
    if total is None or total <= 0:
        return Pace(rate, None)
    return Pace(rate, round(max(total - rows_done, 0) / rate))


def percent(rows_done: int, total: int | None) -> int | None:
    """How far the job is, 0-99 while running (the total is an estimate: blank lines are not rows)."""
    if total is None or total <= 0:
        return None
    return min(99, rows_done * 100 // total)
