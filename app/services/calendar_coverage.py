"""The calendar page's facts: which years are loaded, when the table runs out, what waits for it.

A certificate becomes available on the 10th working day after its exam (app.domain.status); when
that day falls in a year without holiday data its publication date cannot be determined yet, and
it stays 未发布 until the next year's file is loaded (`flask calendar load` or the back office).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.coverage import banner_due, covered_until, days_left
from app.domain.status import available_on
from app.domain.workdays import CalendarUnavailable, HolidayCalendar, YearCalendar
from app.services import audit
from app.services.calendar import current_calendar, store_year
from app.services.registry import facts_of
from app.services.staff import StaffView
from app.storage.models import CalendarYear, Certificate, Person

MAX_LISTED = 200
# Ten working days never span more than this many calendar days (the longest holiday runs ~9 days).
LOOKBACK = timedelta(days=40)


@dataclass(frozen=True)
class Coverage:
    """The years with data and where the unbroken run from today ends."""

    years: list[int]
    loaded_at: dict[int, datetime]  # years loaded by operators (the rest ship with the code)
    end: date | None
    today: date

    @property
    def days_left(self) -> int:
        return days_left(self.end, self.today)

    @property
    def banner_due(self) -> bool:
        return banner_due(self.end, self.today)

    @property
    def next_year(self) -> int:
        return (self.end.year if self.end else self.today.year - 1) + 1


def coverage(session: Session, today: date, calendar: HolidayCalendar | None = None) -> Coverage:
    """Shipped plus loaded years, as of today."""
    years = (calendar or current_calendar(session)).years()
    loaded = {row.year: row.loaded_at for row in session.scalars(select(CalendarYear))}
    return Coverage(years, loaded, covered_until(years, today), today)


@dataclass(frozen=True)
class Waiting:
    """A current certificate whose publication date cannot be determined yet (masked)."""

    public_id: str
    name: str
    id_masked: str
    kind: str
    exam_passed_date: date
    authority: str
    missing_year: int


def awaiting_publication(session: Session, staff: StaffView, covered: Coverage,
                         calendar: HolidayCalendar | None = None) -> list[Waiting]:
    """Certificates of the staff member's scope waiting for next year's holidays (at most MAX_LISTED)."""
    calendar = calendar or current_calendar(session)
    since = (covered.end or covered.today) - LOOKBACK
    statement = (select(Certificate, Person.name, Person.id_masked).join(Person, Person.id == Certificate.person_id)
                 .where(Certificate.is_current.is_(True), Certificate.exam_passed_date >= since)
                 .order_by(Certificate.exam_passed_date, Certificate.id))
    if not staff.all_authorities:
        statement = statement.where(Certificate.issuing_authority == staff.authority)
    waiting: list[Waiting] = []
    for cert, name, id_masked in session.execute(statement):
        try:
            available_on(facts_of(cert), calendar)
        except CalendarUnavailable as exc:
            assert cert.exam_passed_date is not None
            waiting.append(Waiting(cert.public_id, name, id_masked, cert.kind, cert.exam_passed_date,
                                   cert.issuing_authority, exc.year))
            if len(waiting) >= MAX_LISTED:
                break
    return waiting


def load_year(session: Session, year: YearCalendar, actor: str, file_name: str, now: datetime) -> None:
    """Store a year from an uploaded file and audit who loaded it (the caller commits)."""
    store_year(session, year, now)
    audit.record(session, actor, "calendar.load", f"calendar:{year.year}",
                 {"file": file_name[:100], "holidays": len(year.holidays),
                  "makeup_workdays": len(year.makeup_workdays)}, now)
