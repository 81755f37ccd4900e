"""Time limits counted in working days (网上申请、网上审批、限时办结): due dates and their state.

A request is due on the n-th working day after the day it was submitted (the submission day itself is
never counted, docs/rules.md "Working days"). A year without holiday data gives no due date: it is
shown as unknown rather than guessed.
"""

from __future__ import annotations

import enum
from datetime import date

from app.domain.workdays import CalendarUnavailable, HolidayCalendar

REVIEW_WORKDAYS = 5  # manual review (人工审核): the same limit the bureau set for corrections
SOON_DAYS = 1  # "due soon": on the last day or the day before


class DeadlineState(enum.Enum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    UNKNOWN = "unknown"


LABELS = {DeadlineState.OVERDUE: "已超期", DeadlineState.DUE_SOON: "即将到期", DeadlineState.ON_TRACK: "时限内",
          DeadlineState.UNKNOWN: "缺节假日数据"}


def due_on(submitted: date, calendar: HolidayCalendar, workdays: int = REVIEW_WORKDAYS) -> date | None:
    """The last day to decide, or None when the holiday table does not reach it."""
    try:
        return calendar.add_workdays(submitted, workdays)
    except CalendarUnavailable:
        return None


def deadline_state(due: date | None, today: date) -> DeadlineState:
    """Overdue after the due day; due soon on it and the day before; else on track."""
    if due is None:
        return DeadlineState.UNKNOWN
    if today > due:
        return DeadlineState.OVERDUE
    return DeadlineState.DUE_SOON if (due - today).days <= SOON_DAYS else DeadlineState.ON_TRACK
