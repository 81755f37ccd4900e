"""Which reminders are due for a certificate on a day: one pure rule (docs/rules.md, "Reminders").

A reminder is due on exactly one day, and its key is (certificate, kind, that day): the job that
sends them (app/services/reminders.py) records the key, so it may run late, twice or in parallel
and still tells a holder once. `lookup_dates` says which certificates can have a reminder on a
day at all, as column values the job can look up through an index; `due_notices` decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from app.domain.status import (
    AVAILABLE_AFTER_WORKDAYS,
    REVIEW_ABOLISHED_FROM,
    REVIEW_WINDOW_DAYS,
    CertificateFacts,
    available_on,
    certificate_status,
)
from app.domain.workdays import CalendarUnavailable, HolidayCalendar


class NoticeKind(StrEnum):
    """What a reminder says."""

    PUBLISHED = "published"  # the e-certificate appeared (the 10th working day after the exam)
    EXPIRY_90 = "expiry_90"  # 90 days before the last valid day
    EXPIRY_30 = "expiry_30"  # 30 days before it
    REVIEW_DUE = "review_due"  # an old-rule 复审 window opens (60 days before it falls due)


# Days before valid_until. 90: time to take the renewal course and exam; 30: the management
# certificate's renewal is applied for at least 30 days before expiry (docs/rules.md).
EXPIRY_NOTICES = {NoticeKind.EXPIRY_90: 90, NoticeKind.EXPIRY_30: 30}
# The 10th working day after an exam is at most this many calendar days later: ten working days
# span two weekends, and the longest holiday (Spring Festival, 8 days with make-up days) adds a week.
MAX_PUBLICATION_LAG_DAYS = 31


@dataclass(frozen=True)
class Notice:
    """One reminder: its kind, the day it is due (part of its key) and the date it is about."""

    kind: NoticeKind
    due_on: dt.date
    about: dt.date  # the publication day, the last valid day, or the review's due date


@dataclass(frozen=True)
class LookupDates:
    """Column values of the certificates that may have a reminder due on one day."""

    valid_until: tuple[dt.date, ...]
    exam_passed: tuple[dt.date, ...]
    review_due: tuple[dt.date, ...]


def due_notices(facts: CertificateFacts, on: dt.date, calendar: HolidayCalendar) -> tuple[Notice, ...]:
    """The reminders due for this certificate on `on`; none unless it is usable that day."""
    if not certificate_status(facts, on, calendar).is_valid:
        return ()  # suspended, revoked, superseded, expired, overdue: reminders would mislead
    found = [*_published(facts, on, calendar), *_expiry(facts, on), *_review(facts, on)]
    return tuple(found)


def _published(facts: CertificateFacts, on: dt.date, calendar: HolidayCalendar) -> list[Notice]:
    """Only certificates from an exam: an imported old card (no exam date) was never 'new'."""
    if facts.exam_passed_date is None:
        return []
    try:
        day = available_on(facts, calendar)
    except CalendarUnavailable:
        return []
    return [Notice(NoticeKind.PUBLISHED, on, day)] if day == on else []


def _expiry(facts: CertificateFacts, on: dt.date) -> list[Notice]:
    return [Notice(kind, on, facts.valid_until) for kind, days in EXPIRY_NOTICES.items()
            if facts.valid_until - dt.timedelta(days=days) == on]


def _review(facts: CertificateFacts, on: dt.date) -> list[Notice]:
    """Old rule only: a review due from 2026-06-01 on no longer exists (应急管理部令第19号)."""
    if facts.kind != "special_ops":
        return []
    return [Notice(NoticeKind.REVIEW_DUE, on, r.due_date) for r in facts.reviews
            if r.due_date < REVIEW_ABOLISHED_FROM and r.done_date is None
            and r.due_date - dt.timedelta(days=REVIEW_WINDOW_DAYS) == on]


def lookup_dates(on: dt.date, calendar: HolidayCalendar) -> LookupDates:
    """Every certificate with a reminder due on `on` has one of these values (tested against
    `due_notices`): the job reads exactly these through the indexes, whatever the registry's size."""
    exams = []
    for lag in range(AVAILABLE_AFTER_WORKDAYS, MAX_PUBLICATION_LAG_DAYS + 1):
        exam = on - dt.timedelta(days=lag)
        try:
            if calendar.add_workdays(exam, AVAILABLE_AFTER_WORKDAYS) == on:
                exams.append(exam)
        except CalendarUnavailable:
            continue
    window = on + dt.timedelta(days=REVIEW_WINDOW_DAYS)
    return LookupDates(
        valid_until=tuple(on + dt.timedelta(days=days) for days in EXPIRY_NOTICES.values()),
        exam_passed=tuple(exams),
        review_due=(window,) if window < REVIEW_ABOLISHED_FROM else (),
    )
