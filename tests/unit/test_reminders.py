"""due_notices: which reminders a certificate has on a day; lookup_dates finds every one of them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from app.domain.reminders import (
    MAX_PUBLICATION_LAG_DAYS,
    Notice,
    NoticeKind,
    due_notices,
    lookup_dates,
)
from app.domain.status import CertificateFacts, RenewalReview
from app.domain.workdays import load_default_calendar

D = dt.date
CALENDAR = load_default_calendar()
P, E90, E30, R = NoticeKind.PUBLISHED, NoticeKind.EXPIRY_90, NoticeKind.EXPIRY_30, NoticeKind.REVIEW_DUE

# Exam Fri 2024-03-01: published Fri 2024-03-15 (the 10th working day); last valid day 2030-03-14.
NEW = CertificateFacts(kind="special_ops", exam_passed_date=D(2024, 3, 1), first_issue_date=D(2024, 3, 15),
                       valid_from=D(2024, 3, 15), valid_until=D(2030, 3, 14))
# An old card under the 3-yearly review: due 2023-05-01, its window opens 2023-03-02.
OLD = CertificateFacts(kind="special_ops", exam_passed_date=None, first_issue_date=D(2020, 5, 1),
                       valid_from=D(2020, 5, 1), valid_until=D(2026, 4, 30),
                       reviews=(RenewalReview(D(2023, 5, 1)),))
# A management certificate: no review, 3 years.
MGMT = CertificateFacts(kind="safety_mgmt", exam_passed_date=D(2025, 9, 26), first_issue_date=D(2025, 10, 20),
                        valid_from=D(2025, 10, 20), valid_until=D(2028, 10, 19))


def kinds(facts: CertificateFacts, on: dt.date) -> list[NoticeKind]:
    return [notice.kind for notice in due_notices(facts, on, CALENDAR)]


@pytest.mark.parametrize(("facts", "on", "expected"), [
    # Published: the 10th working day after the exam, and only that day.
    (NEW, D(2024, 3, 14), []),
    (NEW, D(2024, 3, 15), [P]),
    (NEW, D(2024, 3, 16), []),
    # National Day: exam 2025-09-26, the holiday 10-01..10-08 and make-up days 09-28 and 10-11.
    (MGMT, D(2025, 10, 15), []),
    (MGMT, D(2025, 10, 16), [P]),
    # An old card without an exam date was never "new": no publication notice on its validity start.
    (OLD, D(2020, 5, 1), []),
    # Expiry: 90 and 30 days before the last valid day, and not the days around them.
    (NEW, D(2029, 12, 13), []),
    (NEW, D(2029, 12, 14), [E90]),
    (NEW, D(2029, 12, 15), []),
    (NEW, D(2030, 2, 12), [E30]),
    (MGMT, D(2028, 7, 21), [E90]),
    (MGMT, D(2028, 9, 19), [E30]),
    # Review (old rule): the day its 60-day window opens.
    (OLD, D(2023, 3, 1), []),
    (OLD, D(2023, 3, 2), [R]),
    (OLD, D(2023, 3, 3), []),
])
def test_each_reminder_is_due_on_one_day(facts: CertificateFacts, on: dt.date, expected: list[NoticeKind]) -> None:
    assert kinds(facts, on) == expected


@pytest.mark.parametrize(("change", "on"), [
    ({"admin_state": "suspended"}, D(2029, 12, 14)),
    ({"admin_state": "revoked"}, D(2029, 12, 14)),
    ({"admin_state": "cancelled"}, D(2024, 3, 15)),
    ({"superseded_by_version": 2}, D(2029, 12, 14)),
    # Overdue for an earlier review (2026-05-01, never done) on the day the 90-day notice would go.
    ({"reviews": (RenewalReview(D(2026, 5, 1)),)}, D(2029, 12, 14)),
])
def test_a_certificate_that_cannot_be_used_gets_no_reminder(change: dict[str, object], on: dt.date) -> None:
    assert kinds(dataclasses.replace(NEW, **change), on) == []  # type: ignore[arg-type]


def test_a_suspension_that_ends_lets_reminders_through_again() -> None:
    suspended = dataclasses.replace(NEW, admin_state="suspended", suspended_until=D(2029, 12, 1))
    assert kinds(suspended, D(2029, 12, 14)) == [E90]


@pytest.mark.parametrize(("review", "expected"), [
    (RenewalReview(D(2023, 5, 1), done_date=D(2023, 2, 20)), []),  # done before its window opened
    (RenewalReview(D(2026, 5, 31)), [R]),  # the last review the old rule still asks for
    (RenewalReview(D(2026, 6, 1)), []),  # abolished by 应急管理部令第19号
])
def test_review_reminders_follow_the_old_rule_only(review: RenewalReview, expected: list[NoticeKind]) -> None:
    facts = dataclasses.replace(OLD, valid_until=D(2030, 4, 30), reviews=(review,))
    window_opens = review.due_date - dt.timedelta(days=60)
    assert kinds(facts, window_opens) == expected


def test_a_management_certificate_has_no_review_reminder() -> None:
    facts = dataclasses.replace(MGMT, reviews=(RenewalReview(D(2026, 5, 1)),))
    assert R not in kinds(facts, D(2026, 3, 2))


def test_a_notice_says_what_it_is_about() -> None:
    assert due_notices(NEW, D(2029, 12, 14), CALENDAR) == (Notice(E90, D(2029, 12, 14), D(2030, 3, 14)),)
    assert due_notices(OLD, D(2023, 3, 2), CALENDAR) == (Notice(R, D(2023, 3, 2), D(2023, 5, 1)),)
    assert due_notices(NEW, D(2024, 3, 15), CALENDAR) == (Notice(P, D(2024, 3, 15), D(2024, 3, 15)),)


def test_a_year_without_holiday_data_publishes_nothing_rather_than_guessing() -> None:
    late = dataclasses.replace(NEW, exam_passed_date=D(2026, 12, 25), valid_until=D(2033, 1, 1))
    assert all(P not in kinds(late, D(2027, 1, 1) + dt.timedelta(days=n)) for n in range(30))


def test_the_lookup_dates_name_every_certificate_with_a_reminder_that_day() -> None:
    """Every exam day 2004-2026 and the day its certificate is published: the job would find it."""
    day = D(2004, 1, 1)
    while day < D(2026, 12, 1):
        published = CALENDAR.add_workdays(day, 10)
        assert (published - day).days <= MAX_PUBLICATION_LAG_DAYS
        assert day in lookup_dates(published, CALENDAR).exam_passed, day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("facts", [NEW, OLD, MGMT])
def test_every_due_notice_is_found_through_the_lookup_dates(facts: CertificateFacts) -> None:
    day = facts.valid_from - dt.timedelta(days=40)
    while day <= facts.valid_until:
        dates = lookup_dates(day, CALENDAR)
        for notice in due_notices(facts, day, CALENDAR):
            column = {P: (facts.exam_passed_date, dates.exam_passed), R: (notice.about, dates.review_due)}.get(
                notice.kind, (facts.valid_until, dates.valid_until))
            assert column[0] in column[1], (notice, day)
        day += dt.timedelta(days=1)


def test_no_review_is_looked_up_once_the_old_rule_ends() -> None:
    assert lookup_dates(D(2026, 4, 1), CALENDAR).review_due == (D(2026, 5, 31),)
    assert lookup_dates(D(2026, 4, 2), CALENDAR).review_due == ()
