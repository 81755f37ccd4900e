"""The sign-in pages: password, authenticator enrolment or code, a new password after a temporary one.

Every step after the password runs on a half-done server-side session (HALF_SIGNED_IN, ten minutes).
Wrong codes count toward the same lock as wrong passwords; the lock ends the half-done session.
"""

from __future__ import annotations

import logging

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.signin import SessionState, Step, next_step
from app.services import audit, signin, staff_admin, staff_sessions, twofactor
from app.services.signin import BAD_CODE, LOCKED, LoginRefused
from app.services.staff import StaffError
from app.services.timeutil import utc_naive
from app.storage.models import Staff
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import (
    STEP_ENDPOINTS,
    check_login_rate,
    clear_cookie,
    current_session,
    current_staff,
    login_required,
    session_staff,
    set_cookie,
    step_of,
)

log = logging.getLogger(__name__)
Page = str | BaseResponse | tuple[str, int]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    """Username and password; the same answer, work and lock whether or not the username exists."""
    if request.method == "GET":
        return redirect(url_for("admin.dashboard")) if current_staff() else render_template("admin/login.html")
    check_login_rate()
    db, pii, now = deps.db_session(), deps.pii(), deps.clock().now()
    username = request.form.get("username", "")[:64]
    try:
        staff = signin.authenticate(db, pii, username, request.form.get("password", "")[:256], now)
    except LoginRefused as exc:
        db.commit()  # the failed attempt (and a lock) must be remembered
        return render_template("admin/login.html", error=exc.message, username=username), 401
    token = staff_sessions.open_session(db, staff.id, now, request.remote_addr or "",
                                        request.headers.get("User-Agent", ""))
    db.commit()
    step = next_step(password_ok=True, enrolled=staff.totp_enabled_at is not None, second_factor_ok=False,
                     must_change_password=staff.must_change_password)
    return set_cookie(redirect(url_for(STEP_ENDPOINTS[step])), token)


def _half_signed_in(step: Step) -> Staff | BaseResponse:
    """The account of a half-done session at `step`, or where its browser should go instead."""
    found, staff = current_session(), session_staff()
    if found is None or staff is None:
        return clear_cookie(redirect(url_for("admin.login")))
    at = step_of(staff, found)
    if found.state is not SessionState.HALF or at is not step:
        return redirect(url_for(STEP_ENDPOINTS[at]))
    return staff


def _wrong_code(staff: Staff, template: str, **context: object) -> tuple[str, int]:
    """Count the failure; the fifth ends this half-done sign-in and locks the username."""
    db, now = deps.db_session(), deps.clock().now()
    if signin.record_code_failure(db, deps.pii(), staff.username, now):
        found = current_session()
        assert found is not None
        staff_sessions.end(found.row, now, "locked")
        audit.record(db, audit.staff_actor(staff.username), "staff.locked", audit.staff_actor(staff.username),
                     {"step": "code"}, now)
        db.commit()
        return render_template("admin/login.html", error=LOCKED, username=staff.username), 401
    db.commit()
    return render_template(template, error=BAD_CODE, **context), 401


def _locked(staff: Staff) -> tuple[str, int] | None:
    """The login page saying so, when the username is locked (by passwords or codes from anywhere)."""
    if not signin.locked(deps.db_session(), deps.pii(), staff.username, deps.clock().now()):
        return None
    return render_template("admin/login.html", error=LOCKED, username=staff.username), 401


def _signed_in(staff: Staff, how: str) -> str:
    """Both factors are in: rotate the token, start the count over, audit. Returns the new token."""
    db, now = deps.db_session(), deps.clock().now()
    found = current_session()
    assert found is not None
    token = staff_sessions.complete(found.row, now)
    signin.clear(db, deps.pii(), staff.username)
    staff.last_login_at = utc_naive(now)
    audit.record(db, audit.staff_actor(staff.username), "staff.sign_in", audit.staff_actor(staff.username),
                 {"second_factor": how}, now)
    return token


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> Page:
    """The authenticator's six digits, or one of the recovery codes."""
    staff = _half_signed_in(Step.CODE)
    if not isinstance(staff, Staff):
        return staff
    if (refused := _locked(staff)) is not None:
        return refused
    if request.method == "GET":
        return render_template("admin/code.html")
    db, pii, now, typed = deps.db_session(), deps.pii(), deps.clock().now(), request.form.get("code", "")[:40]
    how = "totp" if twofactor.check_code(db, staff, pii, typed, now) else (
        "recovery_code" if twofactor.use_recovery_code(db, staff, pii, typed, now) else None)
    if how is None:
        return _wrong_code(staff, "admin/code.html")
    token = _signed_in(staff, how)
    if how == "recovery_code":
        audit.record(db, audit.staff_actor(staff.username), "staff.recovery_code_used",
                     audit.staff_actor(staff.username), {"left": twofactor.recovery_codes_left(db, staff.id)}, now)
    db.commit()
    return set_cookie(redirect(url_for(STEP_ENDPOINTS[_after_second_factor(staff)])), token)


def _after_second_factor(staff: Staff) -> Step:
    """The step after a completed second factor: a new password, or none."""
    found = current_session()
    assert found is not None and found.row.second_factor_at is not None
    return step_of(staff, found)


def _enrol_page(staff: Staff) -> dict[str, object]:
    secret = twofactor.pending_secret(staff, deps.pii())
    deps.db_session().commit()  # the same secret on a reload, until it is confirmed
    return {"secret": secret, "qr": twofactor.qr_svg(twofactor.provisioning_uri(secret, staff.username))}


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> Page:
    """First sign-in: scan the QR code into an authenticator app, confirm with one code."""
    staff = _half_signed_in(Step.ENROL)
    if not isinstance(staff, Staff):
        return staff
    if (refused := _locked(staff)) is not None:
        return refused
    page = _enrol_page(staff)
    if request.method == "GET":
        return render_template("admin/enrol.html", **page)
    db, now = deps.db_session(), deps.clock().now()
    codes = twofactor.confirm_enrolment(db, staff, deps.pii(), request.form.get("code", "")[:40], now)
    if codes is None:
        return _wrong_code(staff, "admin/enrol.html", **page)
    audit.record(db, audit.staff_actor(staff.username), "staff.2fa_enrolled", audit.staff_actor(staff.username),
                 {}, now)
    token = _signed_in(staff, "totp")
    db.commit()
    html = render_template("admin/recovery_codes.html", codes=codes,
                           next_url=url_for(STEP_ENDPOINTS[_after_second_factor(staff)]))
    return set_cookie(make_response(html), token)  # shown once: the blueprint sends no-store


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Page:
    """A new password: required after a temporary one, otherwise asked with the current one."""
    staff = session_staff()
    assert staff is not None
    forced = staff.must_change_password
    if request.method == "GET":
        return render_template("admin/password.html", forced=forced, staff=current_staff())
    db, form = deps.db_session(), request.form
    try:
        staff_admin.change_own_password(db, staff, form.get("new", "")[:256], form.get("repeat", "")[:256],
                                        deps.clock().now(), None if forced else form.get("current", "")[:256])
    except StaffError as exc:
        db.rollback()
        return render_template("admin/password.html", forced=forced, staff=current_staff(), error=exc.message), 400
    db.commit()
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout() -> BaseResponse:
    """End this session on the server (a copy of the cookie stops working too)."""
    found, staff = current_session(), session_staff()
    if found is not None and found.row.ended_at is None:
        db, now = deps.db_session(), deps.clock().now()
        staff_sessions.end(found.row, now, "logout")
        if staff is not None:
            audit.record(db, audit.staff_actor(staff.username), "staff.sign_out", audit.staff_actor(staff.username),
                         {}, now)
        db.commit()
    return clear_cookie(redirect(url_for("admin.login")))
