"""Manual review (人工审核) in the back office: the queue, one request, its photos and the decision."""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.services import manual_review, notify
from app.services.accounts import certificates_of
from app.services.manual_review import PHOTO_KINDS, STATE_LABELS, ReviewError
from app.services.presenters import describe
from app.storage.models import Person
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required

log = logging.getLogger(__name__)


@bp.get("/queue")
@roles_required("reviewer")
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
@roles_required("reviewer")
def show_request(request_id: int) -> tuple[str, int]:
    return _request_page(request_id)


@bp.get("/requests/<int:request_id>/photos/<int:photo_id>")
@roles_required("reviewer")
def photo(request_id: int, photo_id: int) -> Response:
    """A decrypted photo, only for reviewers of the request's authority; never cached."""
    staff = current_staff()
    assert staff is not None
    data = manual_review.photo_for(deps.db_session(), deps.pii(), staff, request_id, photo_id)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


@bp.post("/requests/<int:request_id>/decide")
@roles_required("reviewer")
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


