"""Numbers for the back-office dashboard: requests per day of the last two weeks, by outcome."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import CHINA
from app.services.manual_review import visible_to
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
