"""The back office's first screen: a list of cards (app.web.admin.cards), one include each."""

from __future__ import annotations

from flask import render_template

from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, login_required
from app.web.admin.cards import CardContext, cards_for


@bp.get("/")
@login_required
def dashboard() -> str:
    """Every card this staff member's roles call for."""
    staff, clock = current_staff(), deps.clock()
    assert staff is not None
    now = clock.now()
    context = CardContext(staff, deps.db_session(), now, now.date())
    return render_template("admin/dashboard.html", cards=cards_for(context))
