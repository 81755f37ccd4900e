"""Back-office sessions: the cookie, the staff member of a request, and the guards on every page.

The cookie holds only a random token; the session lives in the database (app.services.staff_sessions),
so logout, the inactivity timeout and an admin's changes end it everywhere. A page needs both
factors done and, after a temporary password, a new one: `login_required` sends anyone else to the
step they are at (app.domain.signin.next_step). The sign-in pages themselves are app.web.admin.signin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import abort, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.signin import SessionState, Step, next_step
from app.services import ratelimit, staff_sessions
from app.services.ratelimit import Hit, Rule
from app.services.staff import StaffView, view_of
from app.services.staff_sessions import Found
from app.storage.models import Staff
from app.web import deps

COOKIE = "admin_session"
COOKIE_PATH = "/admin"
# Login posts per address per window: slows guessing across many usernames.
LOGINS = Rule("admin_login:ip", limit=30, window=15 * 60)
STEP_ENDPOINTS = {Step.PASSWORD: "admin.login", Step.ENROL: "admin.enrol", Step.CODE: "admin.code",
                  Step.CHANGE_PASSWORD: "admin.change_password", Step.DONE: "admin.dashboard"}

F = TypeVar("F", bound=Callable[..., Any])


def idle_limit() -> timedelta:
    return timedelta(minutes=deps.settings().server.session_minutes)


def current_session() -> Found | None:
    """The stored session behind this request's cookie (looked up once per request)."""
    if "admin_session" not in g:
        token = request.cookies.get(COOKIE)
        g.admin_session = (staff_sessions.find(deps.db_session(), token, deps.clock().now(), idle_limit())
                           if token else None)
    return cast(Found | None, g.admin_session)


def session_staff() -> Staff | None:
    """The active account of a live or half-done session (whatever step it is at)."""
    found = current_session()
    if found is None or found.state not in (SessionState.LIVE, SessionState.HALF):
        return None
    staff = deps.db_session().get(Staff, found.row.staff_id)
    return staff if staff is not None and staff.active else None


def current_staff() -> StaffView | None:
    """The signed-in staff member: both factors done, session live, account active."""
    if "staff" not in g:
        found, staff = current_session(), session_staff()
        g.staff = view_of(staff) if staff is not None and found and found.state is SessionState.LIVE else None
    return cast(StaffView | None, g.staff)


def step_of(staff: Staff, found: Found) -> Step:
    """Where this session's sign-in stands (the password was accepted when the session began)."""
    return next_step(password_ok=True, enrolled=staff.totp_enabled_at is not None,
                     second_factor_ok=found.row.second_factor_at is not None,
                     must_change_password=staff.must_change_password)


def set_cookie(response: BaseResponse, token: str) -> BaseResponse:
    """The session cookie: script cannot read it, https only in production, sent only to /admin."""
    response.set_cookie(COOKIE, token, httponly=True, secure=deps.settings().is_production, samesite="Lax",
                        path=COOKIE_PATH)
    return response


def clear_cookie(response: BaseResponse) -> BaseResponse:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _refused(found: Found | None) -> BaseResponse:
    """Back to the login page; an idle session is ended and says so."""
    if found is not None and found.state is SessionState.EXPIRED:
        staff_sessions.end(found.row, deps.clock().now(), "timeout")
        deps.db_session().commit()
        flash("登录已超时，请重新登录", "warning")
    return clear_cookie(redirect(url_for("admin.login")))


def login_required(view: F) -> F:
    """A page for a signed-in staff member; anyone else goes to the login page or their next step."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        found, staff = current_session(), session_staff()
        if found is None or staff is None:
            return _refused(found)
        step = step_of(staff, found)
        if step is not Step.DONE and request.endpoint != STEP_ENDPOINTS[step]:
            return redirect(url_for(STEP_ENDPOINTS[step]))
        if staff_sessions.touch(found.row, deps.clock().now()):
            deps.db_session().commit()
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
