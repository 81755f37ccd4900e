"""Numbers for the back-office dashboard: requests per day of the last two weeks by outcome, and the
time limit of each pending request."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import CHINA
from app.domain.deadlines import DeadlineState, deadline_state, due_on
from app.domain.workdays import HolidayCalendar
from app.services.manual_review import pending_for, visible_to
from app.services.staff import StaffView
from app.services.timeutil import china, utc_naive
from app.storage.models import ManualReviewRequest

STATES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class DayCounts:
    """Requests submitted on one China-time day, by their current state."""

    day: date
    pending: int
    approved: int
    rejected: int

    @property
    def total(self) -> int:
        return self.pending + self.approved + self.rejected


def daily_counts(session: Session, staff: StaffView, now: datetime, days: int = 14) -> list[DayCounts]:
    """One entry per day, oldest first, ending today (China time)."""
    today = now.astimezone(CHINA).date()
    first = today - timedelta(days=days - 1)
    # Day boundaries are China midnights; one day of slack on the UTC side, exact bucketing below.
    since = utc_naive(datetime.combine(first, datetime.min.time())) - timedelta(days=1)
    rows = session.execute(select(ManualReviewRequest.created_at, ManualReviewRequest.state).where(
        ManualReviewRequest.created_at >= since, visible_to(staff))).all()
    counts: Counter[tuple[date, str]] = Counter((china(created).date(), state) for created, state in rows)
    return [DayCounts(day, *(counts[(day, s)] for s in STATES))
            for day in (first + timedelta(days=n) for n in range(days))]


@dataclass(frozen=True)
class Deadline:
    """A pending request and the last day to decide it (None: the holiday table does not reach it)."""

    request_id: int
    submitted: date
    due: date | None
    state: DeadlineState


def deadlines(session: Session, staff: StaffView, today: date, calendar: HolidayCalendar) -> list[Deadline]:
    """Pending requests of the staff member's scope with their due dates, most urgent first."""
    found = []
    for item in pending_for(session, staff):
        submitted = china(item.created_at).date()
        due = due_on(submitted, calendar)
        found.append(Deadline(item.id, submitted, due, deadline_state(due, today)))
    return sorted(found, key=lambda d: (d.due is None, d.due or today, d.request_id))
