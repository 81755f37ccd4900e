"""The one pure function that decides a certificate's status on a date (rules in docs/rules.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from app.domain.workdays import CalendarUnavailable, HolidayCalendar

Kind = Literal["special_ops", "safety_mgmt"]
AdminState = Literal["suspended", "revoked", "cancelled"]

# 安全生产培训管理办法 Art. 22: the certificate is issued within 10 working days after the exam.
AVAILABLE_AFTER_WORKDAYS = 10
# 安监总局令第30号 Art. 22: the review is applied for within the 60 days before it falls due.
REVIEW_WINDOW_DAYS = 60
# 应急管理部令第19号 (in force 2026-06-01) abolished the 3-yearly review; reviews due from then on lapse.
REVIEW_ABOLISHED_FROM = dt.date(2026, 6, 1)


class StatusCode(StrEnum):
    """Status codes, listed from the strongest to the weakest (the precedence order)."""

    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNPUBLISHED = "unpublished"
    EXPIRED = "expired"
    REVIEW_OVERDUE = "review_overdue"
    REVIEW_DUE = "review_due"
    VALID = "valid"


LABELS: dict[StatusCode, str] = {
    StatusCode.UNPUBLISHED: "未发布",
    StatusCode.VALID: "有效",
    StatusCode.REVIEW_DUE: "待复审",
    StatusCode.REVIEW_OVERDUE: "失效（逾期未复审）",
    StatusCode.EXPIRED: "已过期",
    StatusCode.SUSPENDED: "暂扣",
    StatusCode.REVOKED: "已撤销",
    StatusCode.CANCELLED: "已注销",
    StatusCode.SUPERSEDED: "已被新版本取代",
}
_USABLE = frozenset({StatusCode.VALID, StatusCode.REVIEW_DUE})


@dataclass(frozen=True)
class RenewalReview:
    """One 复审 of a special-operations certificate: when it fell due and when it was done."""

    due_date: dt.date
    done_date: dt.date | None = None


@dataclass(frozen=True)
class CertificateFacts:
    """Everything the status depends on, as plain values."""

    kind: Kind
    exam_passed_date: dt.date | None
    first_issue_date: dt.date
    valid_from: dt.date
    valid_until: dt.date
    reviews: tuple[RenewalReview, ...] = ()
    admin_state: AdminState | None = None
    superseded_by_version: int | None = None
    # 暂扣 until this day: from it on the certificate is what its dates make it again, with no one acting.
    suspended_until: dt.date | None = None


@dataclass(frozen=True)
class StatusResult:
    """The status on one date, with a Chinese label and a sentence for the user."""

    code: StatusCode
    label: str
    detail: str
    available_on: dt.date | None
    review_due: dt.date | None
    is_valid: bool


def cn_date(day: dt.date) -> str:
    """Format a date the Chinese way: 2024年3月15日."""
    return f"{day.year}年{day.month}月{day.day}日"


def statuses() -> list[tuple[str, str]]:
    """Return every (code, label) pair in precedence order, for UIs and demo seeding."""
    return [(code.value, LABELS[code]) for code in StatusCode]


def available_on(facts: CertificateFacts, calendar: HolidayCalendar) -> dt.date:
    """Return the day the e-certificate becomes available; may raise CalendarUnavailable."""
    if facts.exam_passed_date is None:
        return facts.valid_from
    return calendar.add_workdays(facts.exam_passed_date, AVAILABLE_AFTER_WORKDAYS)


def certificate_status(facts: CertificateFacts, on: dt.date, calendar: HolidayCalendar) -> StatusResult:
    """Decide the status of a certificate on `on` (precedence: see docs/rules.md)."""
    try:
        available: dt.date | None = available_on(facts, calendar)
        missing_year = None
    except CalendarUnavailable as exc:
        available, missing_year = None, exc.year
    pending = _applicable_reviews(facts, on)
    due = pending[0].due_date if pending else None

    def result(code: StatusCode, detail: str) -> StatusResult:
        return StatusResult(code, LABELS[code], detail, available, due, code in _USABLE)

    admin = _administrative(facts, on)
    if admin is not None:
        return result(*admin)
    if available is None or on < available:
        return result(StatusCode.UNPUBLISHED, _unpublished_detail(available, missing_year))
    if on > facts.valid_until:
        return result(StatusCode.EXPIRED, f"有效期已于{cn_date(facts.valid_until)}届满")
    return result(*_review_state(pending, on, facts.valid_until))


def _administrative(facts: CertificateFacts, on: dt.date) -> tuple[StatusCode, str] | None:
    """Return the status set by the issuing authority or a reissue, if any (a suspension only until
    its end day)."""
    if facts.superseded_by_version is not None:
        return StatusCode.SUPERSEDED, f"证书已换发（第{facts.superseded_by_version}版），请以新版本为准"
    if facts.admin_state == "cancelled":
        return StatusCode.CANCELLED, "证书已由发证机关注销"
    if facts.admin_state == "revoked":
        return StatusCode.REVOKED, "证书已由发证机关撤销"
    if facts.admin_state == "suspended" and (facts.suspended_until is None or on < facts.suspended_until):
        until = f"，{cn_date(facts.suspended_until)}起恢复" if facts.suspended_until else ""
        return StatusCode.SUSPENDED, f"证书已被发证机关暂扣{until}，暂扣期间不得凭此证作业"
    return None


def _unpublished_detail(available: dt.date | None, missing_year: int | None) -> str:
    if available is None:
        return f"发布日期暂无法确定（{missing_year}年节假日安排尚未公布）"
    return f"将于{cn_date(available)}发布"


def _applicable_reviews(facts: CertificateFacts, on: dt.date) -> list[RenewalReview]:
    """Return the reviews still open on `on` under the old rules, earliest due first."""
    if facts.kind != "special_ops":
        return []  # only special-operations certificates are reviewed (安监总局令第30号 Art. 21)
    open_reviews = [
        r
        for r in facts.reviews
        if r.due_date < REVIEW_ABOLISHED_FROM and (r.done_date is None or on < r.done_date)
    ]
    return sorted(open_reviews, key=lambda r: r.due_date)


def _review_state(pending: list[RenewalReview], on: dt.date, valid_until: dt.date) -> tuple[StatusCode, str]:
    """Apply the old review rules: overdue after the due date, due inside the 60-day window."""
    for review in pending:
        if on > review.due_date:
            # 安监总局令第30号 Art. 26: "未按期复审的，特种作业操作证失效"; we read
            # a late review (once accepted) as making it usable again from the day it is done.
            return (
                StatusCode.REVIEW_OVERDUE,
                f"应于{cn_date(review.due_date)}前完成复审，逾期未复审，证书失效",
            )
    for review in pending:
        if on >= review.due_date - dt.timedelta(days=REVIEW_WINDOW_DAYS):
            return StatusCode.REVIEW_DUE, f"应于{cn_date(review.due_date)}前完成复审"
    return StatusCode.VALID, f"有效期至{cn_date(valid_until)}"
