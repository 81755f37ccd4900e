"""长辈模式 (larger text, higher contrast) on the worker pages: the switch and the pages' reading of it.

The switch is a small form on every worker page that posts here and comes back, so it works without
JavaScript. The choice goes into a cookie, and for a holder bound in 我的证书 also into the database
(app/services/preferences.py), so it follows him to another phone. Templates ask `large_text()`.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from app.services import preferences
from app.web import deps
from app.web.h5 import bp
from app.web.h5.session import bound_person, current_openid

MAX_NEXT = 2048  # a query result link carries its signed token in the query string


def _local(path: str | None) -> str | None:
    """A path on this site to return to (never another host: no //, no backslash, no scheme)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > MAX_NEXT:
        return None
    return path


def _back() -> str:
    """Where the switch was pressed: the form's `next`, else the referring page on this site, else 我的证书."""
    referrer = request.referrer or ""
    base = request.host_url.rstrip("/")
    from_here = "/" + referrer[len(base):].lstrip("/") if referrer.startswith(base + "/") else None
    return _local(request.form.get("next")) or _local(from_here) or url_for("h5.my")


@bp.post("/prefs/large-text")
def set_large_text() -> BaseResponse:
    """Turn 长辈模式 on or off for this browser, and for the bound holder wherever he signs in."""
    on = request.form.get("on") == "1"
    if current_openid() is not None:
        db = deps.db_session()
        person = bound_person(db)
        if person is not None:
            preferences.remember_large_text(db, person.id, on, deps.clock().now())
    response = redirect(_back())
    response.set_cookie(preferences.COOKIE, "1" if on else "0", max_age=preferences.COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=deps.settings().is_production)
    return response


def large_text() -> bool:
    """Whether this page is shown in 长辈模式 (template global); a failing database falls back to the cookie."""
    stored = None
    if current_openid() is not None:
        db = deps.db_session()
        try:
            person = bound_person(db)
            stored = preferences.stored_large_text(db, person.id) if person is not None else None
        except SQLAlchemyError:
            db.rollback()
    return preferences.large_text(stored, request.cookies.get(preferences.COOKIE))


@bp.app_context_processor
def _display() -> dict[str, object]:
    return {"large_text": large_text}
