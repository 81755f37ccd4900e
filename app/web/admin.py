"""The back office (/admin): staff sign-in, the review queue, one request, the decision, a dashboard.

A reviewer sees only requests for their own 签发机关 (admins see all); anything else is a plain 404 so
the ids of other authorities' requests reveal nothing. Every page is sent with Cache-Control: no-store.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from app.services import manual_review, notify, review_stats
from app.services.accounts import certificates_of
from app.services.manual_review import PHOTO_KINDS, STATE_LABELS, ReviewError
from app.services.presenters import describe
from app.services.staff import LOCKED, LoginRefused, authenticate
from app.services.timeutil import china_text
from app.storage.models import Person
from app.web import deps
from app.web.admin_auth import (
    check_login_rate,
    current_staff,
    login_required,
    sign_in_staff,
    sign_out_staff,
)
from app.web.admin_chart import daily_chart

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Personal data and photos must not stay in a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.app_template_filter("china_time")
def _china_time(stored: object) -> str:
    return china_text(stored) if stored else ""  # type: ignore[arg-type]


@bp.app_template_filter("duration")
def duration_text(span: timedelta | None) -> str:
    """`约 2 天 3 小时`-style Chinese text for a review duration."""
    if span is None:
        return "暂无数据"
    minutes = int(span.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"约 {days} 天" + (f" {hours} 小时" if hours else "")
    return f"约 {hours} 小时" + (f" {mins} 分钟" if mins else "") if hours else f"约 {max(mins, 1)} 分钟"


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


@bp.get("/")
@login_required
def dashboard() -> str:
    """Counts and a 14-day chart of requests by outcome."""
    staff, db, now = current_staff(), deps.db_session(), deps.clock().now()
    assert staff is not None
    days = review_stats.daily_counts(db, staff, now)
    return render_template("admin/dashboard.html", staff=staff, days=days, chart=daily_chart(days),
                           pending=manual_review.pending_count(db, staff),
                           median=manual_review.median_decision_time(db))


@bp.get("/queue")
@login_required
def queue() -> str:
    """Pending requests of the reviewer's authority, oldest first."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    requests = manual_review.pending_for(db, staff)
    people = {p.id: p for p in db.query(Person).filter(Person.id.in_({r.person_id for r in requests}))}
    return render_template("admin/queue.html", staff=staff, requests=requests, people=people)


def _request_page(request_id: int, error: str | None = None, status: int = 200) -> tuple[str, int]:
    """The request with the holder's masked data, certificates, description and photos."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    item = manual_review.request_for(db, staff, request_id)
    if item is None:
        abort(404)
    person = db.get(Person, item.person_id)
    assert person is not None
    today = deps.clock().today()
    certs = [describe(found, today) for found in certificates_of(db, person, today)]
    return render_template("admin/request.html", staff=staff, item=item, person=person, certs=certs,
                           photos=manual_review.photos_of(db, item.id), photo_labels=PHOTO_KINDS,
                           state_labels=STATE_LABELS, error=error,
                           reason=request.form.get("reason", "")), status


@bp.get("/requests/<int:request_id>")
@login_required
def show_request(request_id: int) -> tuple[str, int]:
    return _request_page(request_id)


@bp.get("/requests/<int:request_id>/photos/<int:photo_id>")
@login_required
def photo(request_id: int, photo_id: int) -> Response:
    """A decrypted photo, only for reviewers of the request's authority; never cached."""
    staff = current_staff()
    assert staff is not None
    data = manual_review.photo_for(deps.db_session(), deps.pii(), staff, request_id, photo_id)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


@bp.post("/requests/<int:request_id>/decide")
@login_required
def decide(request_id: int) -> BaseResponse | tuple[str, int]:
    """Approve or reject; the worker is notified at once if WeChat answers, else by the retry job."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    action = request.form.get("action")
    if action not in ("approve", "reject"):
        return _request_page(request_id, "请选择通过或驳回", 400)
    try:
        decision = manual_review.decide(db, staff, request_id, action == "approve",
                                        request.form.get("reason", ""), deps.clock().now())
    except ReviewError as exc:
        db.rollback()
        return _request_page(request_id, exc.message, 400)
    delivered = _send_now(decision.notification_id)
    verdict = "已通过" if action == "approve" else "已驳回"
    flash(f"申请 #{request_id} {verdict}，" + ("已通知申请人" if delivered else "通知将稍后自动重试发送"),
          "success")
    return redirect(url_for("admin.queue"))


def _send_now(notification_id: int) -> bool:
    """Try the notification right away; any failure is left to `flask notify send-pending`."""
    try:
        sender = notify.sender_from(deps.settings(), deps.wechat_api())
        report = notify.send_pending(deps.db_session(), sender, deps.clock().now(), only=notification_id)
    except Exception:  # the decision is committed; never turn a delivery problem into an error page
        log.exception("immediate notification %s failed; the outbox keeps it", notification_id)
        deps.db_session().rollback()
        return False
    return report.sent == 1


def register(app: Flask) -> None:
    """Install CSRF protection and security headers, then the back office and the worker's review pages."""
    from app.web import review, security

    security.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(review.bp)
