"""Back-office sign-in: the login page, the staff member in the session, inactivity timeout, rate limit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.services import ratelimit
from app.services.ratelimit import Hit, Rule
from app.services.staff import LOCKED, LoginRefused, StaffView, active_staff, authenticate, view_of
from app.web import deps
from app.web.admin import bp

STAFF_KEY = "admin_staff_id"
SEEN_KEY = "admin_seen"
# Login posts per address per window: slows guessing across many usernames.
LOGINS = Rule("admin_login:ip", limit=30, window=15 * 60)

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def _now_ts() -> float:
    return deps.clock().now().timestamp()


def sign_in_staff(staff_id: int) -> None:
    """Remember the staff member; other keys of the session (a worker's openid) are left alone."""
    session[STAFF_KEY] = staff_id
    session[SEEN_KEY] = _now_ts()
    session.permanent = True


def sign_out_staff() -> None:
    """Forget the staff member."""
    session.pop(STAFF_KEY, None)
    session.pop(SEEN_KEY, None)


def _session_expired() -> bool:
    """Idle longer than [server] session_minutes."""
    seen = session.get(SEEN_KEY)
    limit = deps.settings().server.session_minutes * 60
    return not isinstance(seen, (int, float)) or _now_ts() - seen > limit


def current_staff() -> StaffView | None:
    """The signed-in, active staff member of this request (loaded once per request)."""
    if "staff" not in g:
        staff_id = session.get(STAFF_KEY)
        row = active_staff(deps.db_session(), staff_id) if isinstance(staff_id, int) else None
        g.staff = view_of(row) if row is not None else None
    return cast(StaffView | None, g.staff)


def login_required(view: F) -> F:
    """Send a visitor without a live staff session to the login page."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session.get(STAFF_KEY) is not None and _session_expired():
            sign_out_staff()
            flash("登录已超时，请重新登录", "warning")
            return redirect(url_for("admin.login"))
        if current_staff() is None:
            return redirect(url_for("admin.login"))
        session[SEEN_KEY] = _now_ts()
        return view(*args, **kwargs)
    return cast(F, wrapper)


def roles_required(*roles: str) -> Callable[[F], F]:
    """A signed-in staff member holding one of `roles`; anyone else signed in gets a 403 page."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None or not staff.has(*roles):
                abort(403)
            return view(*args, **kwargs)
        return login_required(cast(F, wrapper))
    return decorate


def check_login_rate() -> None:
    """Refuse (429) a client address that posts the login form too often."""
    address = request.remote_addr or "unknown"
    refused = ratelimit.check(deps.store(), deps.clock().now(), Hit(LOGINS, address))
    if refused is not None:
        abort(429, retry_after=refused.seconds)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | BaseResponse | tuple[str, int]:
    """Username and password; five wrong passwords lock the account for 15 minutes."""
    if request.method == "GET":
        return render_template("admin/login.html")
    check_login_rate()
    db, username = deps.db_session(), request.form.get("username", "")[:64]
    try:
        staff = authenticate(db, username, request.form.get("password", "")[:256], deps.clock().now())
    except LoginRefused as exc:
        db.commit()  # the failed attempt (and a lock) must be remembered
        if exc.message == LOCKED:
            log.warning("staff login refused for a locked account")
        return render_template("admin/login.html", error=exc.message, username=username), 401
    db.commit()
    sign_in_staff(staff.id)
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout() -> BaseResponse:
    sign_out_staff()
    return redirect(url_for("admin.login"))
