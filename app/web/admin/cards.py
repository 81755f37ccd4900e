"""The dashboard's cards: each a function that gathers its numbers, and one template that shows them.

To add a card, write a function `(CardContext) -> Card | None` (None: not for this staff member) and
add it to CARDS, with its template under templates/admin/cards/. Staff would rather look than read:
numbers come with a chart where there is a series to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.corrections import DEADLINE_WORKDAYS, FIELDS
from app.domain.deadlines import LABELS, REVIEW_WORKDAYS, DeadlineState
from app.services import corrections, importjobs, inspection_log, manual_review, review_stats, verification_stats
from app.services.calendar import current_calendar
from app.services.calendar_coverage import coverage
from app.services.staff import StaffView
from app.services.timeutil import utc_naive
from app.storage.models import ImportRun
from app.web.admin.chart import GREEN, GREY, RED, Series, daily_chart, stacked_chart

RECENT_RUNS = 5
IMPORT_DAYS = 30
INSPECTION_DAYS = 14


@dataclass(frozen=True)
class CardContext:
    """What every card may use."""

    staff: StaffView
    session: Session
    now: datetime
    today: date


@dataclass(frozen=True)
class Card:
    """One include of the dashboard and its values."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)


def reviews_card(ctx: CardContext) -> Card | None:
    """Manual review: waiting, decided in two weeks, usual time to decide, requests per day."""
    if not ctx.staff.has("reviewer", "admin"):
        return None
    days = review_stats.daily_counts(ctx.session, ctx.staff, ctx.now)
    return Card("admin/cards/_reviews.html", {
        "days": days, "chart": daily_chart(days), "pending": manual_review.pending_count(ctx.session, ctx.staff),
        "median": manual_review.median_decision_time(ctx.session)})


def review_deadlines_card(ctx: CardContext) -> Card | None:
    """Pending requests against the 5-working-day limit: overdue, due soon, on track."""
    if not ctx.staff.has("reviewer", "admin"):
        return None
    found = review_stats.deadlines(ctx.session, ctx.staff, ctx.today, current_calendar(ctx.session))
    counts = {state: sum(1 for d in found if d.state is state) for state in DeadlineState}
    return Card("admin/cards/_review_deadlines.html", {
        "urgent": found[:5], "counts": counts, "workdays": REVIEW_WORKDAYS, "states": DeadlineState,
        "labels": LABELS})


def corrections_card(ctx: CardContext) -> Card | None:
    """信息更正 against the 5-working-day limit: overdue, due soon, on track; the most urgent first."""
    if not ctx.staff.has("reviewer"):
        return None
    pending = corrections.queue(ctx.session, ctx.staff, ctx.today, current_calendar(ctx.session))
    urgent = sorted(pending, key=lambda q: (q.countdown.deadline is None, q.countdown.deadline or ctx.today))
    return Card("admin/cards/_corrections.html", {
        "urgent": urgent[:5], "counts": corrections.deadline_counts(pending), "workdays": DEADLINE_WORKDAYS,
        "states": DeadlineState, "labels": LABELS, "fields": FIELDS})


def verifications_card(ctx: CardContext) -> Card:
    """Verifications per day, genuine / forged / not ours (every channel)."""
    days = verification_stats.daily(ctx.session, ctx.today)
    series = [Series("genuine", "真实", GREEN, [d.genuine for d in days]),
              Series("forged", "伪造", RED, [d.forged for d in days]),
              Series("not_ours", "非本系统", GREY, [d.not_ours for d in days])]
    chart = stacked_chart("verify-chart", "近14天每日核验次数", "近14天没有核验", [d.day for d in days], series)
    return Card("admin/cards/_verifications.html", {"days": days, "chart": chart})


def sources_card(ctx: CardContext) -> Card:
    """Where forged and not-ours verifications came from: referring sites and channels."""
    return Card("admin/cards/_sources.html", {"sources": verification_stats.sources(ctx.session, ctx.today)})


def inspections_card(ctx: CardContext) -> Card | None:
    """执法检查: inspections per day (chart) and per authority (table), the last 14 days, in scope."""
    if not ctx.staff.has("operator", "admin"):
        return None
    days = [ctx.today - timedelta(days=back) for back in range(INSPECTION_DAYS - 1, -1, -1)]
    rows = inspection_log.daily_counts(ctx.session, ctx.staff, days[0], ctx.today)
    per_day = {day: 0 for day in days}
    per_authority: dict[str, list[int]] = {}
    for day, authority, count in rows:
        per_day[day] += count
        totals = per_authority.setdefault(authority, [0, 0])
        totals[0] += count
        totals[1] += count if day == ctx.today else 0
    chart = stacked_chart("inspection-chart", "近14天每日执法检查次数", "近14天没有执法检查", days,
                          [Series("inspections", "执法检查", GREEN, [per_day[d] for d in days])])
    return Card("admin/cards/_inspections.html", {"chart": chart, "authorities": sorted(per_authority.items()),
                                                  "total": sum(per_day.values())})


def _recent_runs(session: Session, since: datetime) -> tuple[list[ImportRun], dict[str, int]]:
    runs = list(session.scalars(select(ImportRun).order_by(ImportRun.started_at.desc()).limit(RECENT_RUNS)))
    sums = session.execute(select(func.count(), func.sum(ImportRun.accepted), func.sum(ImportRun.updated),
                                  func.sum(ImportRun.rejected)).where(ImportRun.started_at >= since)).one()
    return runs, dict(zip(("runs", "accepted", "updated", "rejected"), (int(v or 0) for v in sums), strict=True))


def imports_card(ctx: CardContext) -> Card | None:
    """The latest import runs and the last 30 days' totals."""
    if not ctx.staff.has("operator", "admin"):
        return None
    runs, totals = _recent_runs(ctx.session, utc_naive(ctx.now) - timedelta(days=IMPORT_DAYS))
    return Card("admin/cards/_imports.html", {"runs": runs, "totals": totals, "days": IMPORT_DAYS,
                                              "waiting": importjobs.waiting_count(ctx.session, ctx.staff)})


def calendar_card(ctx: CardContext) -> Card:
    """How far the holiday table reaches."""
    return Card("admin/cards/_calendar.html", {"covered": coverage(ctx.session, ctx.today)})


CARDS: list[Callable[[CardContext], Card | None]] = [
    reviews_card,
    review_deadlines_card,
    corrections_card,
    verifications_card,
    sources_card,
    inspections_card,
    imports_card,
    calendar_card,
]


def cards_for(ctx: CardContext) -> list[Card]:
    """The cards this staff member sees, in CARDS order."""
    return [card for make in CARDS if (card := make(ctx)) is not None]
