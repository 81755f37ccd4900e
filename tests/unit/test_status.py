"""certificate_status: every rule and each boundary (day before, of, after), precedence included."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from app.domain.status import (
    CertificateFacts,
    RenewalReview,
    StatusCode,
    certificate_status,
    statuses,
)
from app.domain.workdays import load_default_calendar

D = dt.date
CALENDAR = load_default_calendar()

# Exam Fri 2024-03-01; ten working days later is Fri 2024-03-15.
NEW_CERT = CertificateFacts(
    kind="special_ops",
    exam_passed_date=D(2024, 3, 1),
    first_issue_date=D(2024, 3, 15),
    valid_from=D(2024, 3, 15),
    valid_until=D(2030, 3, 14),
    reviews=(RenewalReview(D(2027, 3, 15)),),  # due after 2026-06-01: abolished by 令第19号
)
# An older certificate under the 3-yearly review of 令第30号.
OLD_CERT = CertificateFacts(
    kind="special_ops",
    exam_passed_date=None,
    first_issue_date=D(2020, 5, 1),
    valid_from=D(2020, 5, 1),
    valid_until=D(2026, 4, 30),
    reviews=(RenewalReview(D(2023, 5, 1)),),
)


def with_review(facts: CertificateFacts, due: dt.date, done: dt.date | None = None) -> CertificateFacts:
    return dataclasses.replace(facts, reviews=(RenewalReview(due, done),))


@pytest.mark.parametrize(
    ("facts", "on", "code"),
    [
        # Availability: 10 working days after the exam (安全生产培训管理办法 Art. 22).
        (NEW_CERT, D(2024, 3, 14), StatusCode.UNPUBLISHED),
        (NEW_CERT, D(2024, 3, 15), StatusCode.VALID),
        (NEW_CERT, D(2024, 3, 16), StatusCode.VALID),
        # Without an exam date the certificate is available from its validity start.
        (OLD_CERT, D(2020, 4, 30), StatusCode.UNPUBLISHED),
        (OLD_CERT, D(2020, 5, 1), StatusCode.VALID),
        # Review window: the 60 days before the due date (令第30号 Art. 22).
        (OLD_CERT, D(2023, 3, 1), StatusCode.VALID),
        (OLD_CERT, D(2023, 3, 2), StatusCode.REVIEW_DUE),
        (OLD_CERT, D(2023, 5, 1), StatusCode.REVIEW_DUE),
        (OLD_CERT, D(2023, 5, 2), StatusCode.REVIEW_OVERDUE),
        # Expiry: usable through valid_until, expired the day after.
        (NEW_CERT, D(2030, 3, 13), StatusCode.VALID),
        (NEW_CERT, D(2030, 3, 14), StatusCode.VALID),
        (NEW_CERT, D(2030, 3, 15), StatusCode.EXPIRED),
        # Reviews falling due from 2026-06-01 no longer apply (应急管理部令第19号).
        (NEW_CERT, D(2027, 2, 1), StatusCode.VALID),
        (NEW_CERT, D(2027, 3, 16), StatusCode.VALID),
        (with_review(OLD_CERT, D(2026, 5, 31)), D(2026, 4, 1), StatusCode.REVIEW_DUE),
        (with_review(OLD_CERT, D(2026, 5, 31)), D(2026, 4, 30), StatusCode.REVIEW_DUE),
        (with_review(OLD_CERT, D(2026, 6, 1)), D(2026, 4, 30), StatusCode.VALID),
    ],
)
def test_status_on_each_boundary(facts: CertificateFacts, on: dt.date, code: StatusCode) -> None:
    assert certificate_status(facts, on, CALENDAR).code == code


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (D(2023, 3, 31), StatusCode.REVIEW_DUE),
        (D(2023, 4, 1), StatusCode.VALID),
        (D(2023, 5, 2), StatusCode.VALID),
    ],
)
def test_a_review_done_inside_the_window_clears_it(on: dt.date, code: StatusCode) -> None:
    facts = with_review(OLD_CERT, D(2023, 5, 1), D(2023, 4, 1))
    assert certificate_status(facts, on, CALENDAR).code == code


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (D(2023, 5, 2), StatusCode.REVIEW_OVERDUE),
        (D(2023, 6, 9), StatusCode.REVIEW_OVERDUE),
        (D(2023, 6, 10), StatusCode.VALID),
    ],
)
def test_a_review_done_late_counts_as_overdue_until_it_is_done(on: dt.date, code: StatusCode) -> None:
    facts = with_review(OLD_CERT, D(2023, 5, 1), D(2023, 6, 10))
    assert certificate_status(facts, on, CALENDAR).code == code


def test_an_overdue_review_from_before_2026_stays_overdue_after_the_new_rules() -> None:
    facts = with_review(OLD_CERT, D(2026, 3, 1))
    assert certificate_status(facts, D(2026, 4, 1), CALENDAR).code == StatusCode.REVIEW_OVERDUE


def test_a_safety_management_certificate_ignores_reviews() -> None:
    facts = dataclasses.replace(OLD_CERT, kind="safety_mgmt", valid_until=D(2023, 4, 30))
    assert certificate_status(facts, D(2023, 4, 15), CALENDAR).code == StatusCode.VALID


@pytest.mark.parametrize(("on", "code"), [
    (D(2025, 2, 28), StatusCode.SUSPENDED),  # the last day of the suspension
    (D(2025, 3, 1), StatusCode.VALID),  # the end day: valid again with no one acting
])
def test_a_suspension_with_an_end_day_lifts_itself(on: dt.date, code: StatusCode) -> None:
    facts = dataclasses.replace(NEW_CERT, admin_state="suspended", suspended_until=D(2025, 3, 1))
    result = certificate_status(facts, on, CALENDAR)
    assert result.code == code
    if code == StatusCode.SUSPENDED:
        assert "2025年3月1日起恢复" in result.detail


def test_a_suspension_after_its_end_still_yields_to_expiry() -> None:
    facts = dataclasses.replace(NEW_CERT, admin_state="suspended", suspended_until=D(2040, 1, 1))
    assert certificate_status(facts, D(2039, 1, 1), CALENDAR).code == StatusCode.SUSPENDED  # beats expired
    assert certificate_status(facts, D(2040, 1, 2), CALENDAR).code == StatusCode.EXPIRED


@pytest.mark.parametrize(
    ("changes", "on", "code"),
    [
        ({"superseded_by_version": 2, "admin_state": "cancelled"}, D(2025, 1, 1), StatusCode.SUPERSEDED),
        ({"admin_state": "cancelled"}, D(2025, 1, 1), StatusCode.CANCELLED),
        ({"admin_state": "revoked"}, D(2025, 1, 1), StatusCode.REVOKED),
        ({"admin_state": "suspended"}, D(2024, 3, 1), StatusCode.SUSPENDED),  # beats unpublished
        ({}, D(2024, 3, 1), StatusCode.UNPUBLISHED),
        ({"valid_until": D(2024, 3, 10)}, D(2024, 3, 12), StatusCode.UNPUBLISHED),  # beats expired
        ({"reviews": (RenewalReview(D(2025, 1, 1)),)}, D(2031, 1, 1), StatusCode.EXPIRED),  # beats overdue
        ({"reviews": (RenewalReview(D(2025, 1, 1)),)}, D(2025, 1, 2), StatusCode.REVIEW_OVERDUE),
        (
            {"reviews": (RenewalReview(D(2024, 6, 1)), RenewalReview(D(2025, 6, 1)))},
            D(2025, 5, 1),
            StatusCode.REVIEW_OVERDUE,
        ),  # an older open review outranks a later window
    ],
)
def test_the_strongest_status_wins(changes: dict[str, object], on: dt.date, code: StatusCode) -> None:
    facts = dataclasses.replace(NEW_CERT, **changes)  # type: ignore[arg-type]
    assert certificate_status(facts, on, CALENDAR).code == code


def test_an_unpublished_certificate_says_when_it_will_appear() -> None:
    result = certificate_status(NEW_CERT, D(2024, 3, 1), CALENDAR)
    assert (result.label, result.detail, result.available_on) == (
        "未发布",
        "将于2024年3月15日发布",
        D(2024, 3, 15),
    )
    assert not result.is_valid


def test_availability_crossing_into_a_year_without_data_is_not_guessed() -> None:
    facts = dataclasses.replace(NEW_CERT, exam_passed_date=D(2026, 12, 24), valid_from=D(2027, 1, 8))
    result = certificate_status(facts, D(2026, 12, 28), CALENDAR)
    assert result.code == StatusCode.UNPUBLISHED
    assert result.available_on is None
    assert result.detail == "发布日期暂无法确定（2027年节假日安排尚未公布）"


def test_a_certificate_in_its_review_window_is_still_usable_and_says_by_when() -> None:
    result = certificate_status(OLD_CERT, D(2023, 4, 1), CALENDAR)
    assert (result.label, result.detail, result.review_due) == (
        "待复审",
        "应于2023年5月1日前完成复审",
        D(2023, 5, 1),
    )
    assert result.is_valid


@pytest.mark.parametrize(
    ("on", "usable"),
    [(D(2023, 1, 1), True), (D(2023, 4, 1), True), (D(2023, 6, 1), False), (D(2026, 5, 1), False)],
)
def test_only_valid_and_review_due_count_as_usable(on: dt.date, usable: bool) -> None:
    assert certificate_status(OLD_CERT, on, CALENDAR).is_valid is usable


def test_statuses_lists_every_code_with_its_chinese_label() -> None:
    listed = dict(statuses())
    assert set(listed) == {c.value for c in StatusCode}
    assert listed["review_overdue"] == "失效（逾期未复审）"
    assert listed["superseded"] == "已被新版本取代"
