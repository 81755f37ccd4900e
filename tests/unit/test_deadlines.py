"""Time limits in working days (app/domain/deadlines.py)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.deadlines import DeadlineState, deadline_state, due_on
from app.domain.workdays import load_default_calendar

D = date
CALENDAR = load_default_calendar()


@pytest.mark.parametrize(("submitted", "due"), [
    (D(2026, 11, 23), D(2026, 11, 30)),  # Monday: five working days later is next Monday
    (D(2026, 11, 28), D(2026, 12, 4)),  # Saturday: counting starts on Monday
    (D(2026, 9, 30), D(2026, 10, 13)),  # 10-01…07 off; 10-08, 10-09, Saturday 10-10 (make-up), 10-12, 10-13
    (D(2026, 12, 28), None),  # 2027 is not loaded: no due date rather than a guess
])
def test_a_request_is_due_five_working_days_after_it_was_submitted(submitted: date, due: date | None) -> None:
    assert due_on(submitted, CALENDAR) == due


@pytest.mark.parametrize(("due", "today", "state"), [
    (D(2026, 12, 4), D(2026, 12, 1), DeadlineState.ON_TRACK),
    (D(2026, 12, 4), D(2026, 12, 3), DeadlineState.DUE_SOON),
    (D(2026, 12, 4), D(2026, 12, 4), DeadlineState.DUE_SOON),
    (D(2026, 12, 4), D(2026, 12, 5), DeadlineState.OVERDUE),
    (None, D(2026, 12, 5), DeadlineState.UNKNOWN),
])
def test_a_deadline_is_on_track_due_soon_or_overdue(due: date | None, today: date, state: DeadlineState) -> None:
    assert deadline_state(due, today) is state
