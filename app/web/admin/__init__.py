"""The back office (/admin): sign-in with two factors, the dashboard, the review queue and decisions,
staff accounts, the audit log and the holiday calendar.

A reviewer sees only requests for their own 签发机关 (admins see all); anything else is a plain 404 so
the ids of other authorities' requests reveal nothing. Every page is sent with Cache-Control: no-store.

The blueprint is created here; its routes live in the modules imported at the bottom.
"""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def _no_store(response: Response) -> Response:
    """Personal data and photos must not stay in a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


from app.web.admin import (  # noqa: E402,F401 - they add routes to `bp`
    audit,
    auth,
    calendar,
    certificates,
    corrections,
    dashboard,
    imports,
    inspectors,
    layout,
    proposals,
    reveal,
    reviews,
    signin,
    staff,
)
