"""The back office's first screen: counts and a chart."""

from __future__ import annotations

from flask import render_template

from app.services import corrections, manual_review, review_stats
from app.services.calendar import current_calendar
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, login_required
from app.web.admin.chart import daily_chart


@bp.get("/")
@login_required
def dashboard() -> str:
    """Counts and a 14-day chart of requests by outcome."""
    staff, db, now = current_staff(), deps.db_session(), deps.clock().now()
    assert staff is not None
    days = review_stats.daily_counts(db, staff, now)
    return render_template("admin/dashboard.html", staff=staff, days=days, chart=daily_chart(days),
                           pending=manual_review.pending_count(db, staff),
                           median=manual_review.median_decision_time(db),
                           corrections=corrections.deadline_summary(db, staff, now.date(), current_calendar(db))
                           if staff.has("reviewer") else None)


