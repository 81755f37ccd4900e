"""Manual review (人工审核) in the back office: the queue, decided requests, one request, its photos and
the decision.

Beside the uploaded photos the reviewer sees the registry photo and the holder's face-check attempts;
the full ID number only after giving a reason (app/web/admin/reveal.py). Approving binds the WeChat
account to the holder, so it asks for a confirmation first.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.staffpolicy import ALL_AUTHORITIES
from app.integrations.wechat import TEMPLATE_VALUE_MAX
from app.services import certificate_record, manual_review, review_history
from app.services import reveal as reveal_service
from app.services.accounts import certificates_of
from app.services.manual_review import PHOTO_KINDS, STATE_LABELS, ReviewError
from app.services.presenters import describe
from app.services.review_history import DecidedFilter
from app.storage.models import Person, Staff
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.admin.effects import send_now
from app.web.admin.reveal import revealed


@bp.get("/queue")
@roles_required("reviewer")
def queue() -> str:
    """Pending requests of the reviewer's authority, oldest first."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    requests = manual_review.pending_for(db, staff)
    people = {p.id: p for p in db.query(Person).filter(Person.id.in_({r.person_id for r in requests}))}
    return render_template("admin/queue.html", staff=staff, requests=requests, people=people)


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/decided")
@roles_required("reviewer")
def decided() -> str:
    """已处理: decided requests of the reviewer's authority, filtered by result, reviewer and date."""
    staff, db, args = current_staff(), deps.db_session(), request.args
    assert staff is not None
    reviewer = args.get("reviewer", "")
    wanted = DecidedFilter(args.get("state") or None, int(reviewer) if reviewer.isdigit() else None,
                           _day("since"), _day("until"))
    page = min(max(int(args.get("page", "0")) if args.get("page", "0").isdigit() else 0, 0), 1000)
    rows, more = review_history.decided_for(db, staff, wanted, page)
    reviewers = db.query(Staff.id, Staff.username).filter(Staff.roles.contains("reviewer")).order_by(Staff.username)
    if not staff.all_authorities:  # another authority's staff are not this one's business
        reviewers = reviewers.filter(Staff.authority.in_([staff.authority, ALL_AUTHORITIES]))
    return render_template("admin/decided.html", staff=staff, rows=rows, more=more, page=page, wanted=wanted,
                           reviewers=list(reviewers), state_labels=STATE_LABELS,
                           names=certificate_record.staff_names(db, {r.decided_by for r, _ in rows}))


def _request_page(request_id: int, error: str | None = None, status: int = 200,
                  confirm: bool = False) -> tuple[str, int]:
    """The request with the holder's masked data, certificates, face checks, description and photos."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    item = manual_review.request_for(db, staff, request_id)
    if item is None:
        abort(404)
    person = db.get(Person, item.person_id)
    assert person is not None
    today, subject = deps.clock().today(), f"person:{person.id}"
    certs = [describe(found, today) for found in certificates_of(db, person, today)]
    full_id = reveal_service.full_id_number(db, deps.pii(), person.id) if revealed("id_number", subject) else None
    return render_template("admin/request.html", staff=staff, item=item, person=person, certs=certs,
                           photos=manual_review.photos_of(db, item.id), photo_labels=PHOTO_KINDS,
                           state_labels=STATE_LABELS, error=error, confirm=confirm, full_id=full_id,
                           person_subject=subject, attempts=review_history.face_attempts(db, person.id),
                           registry_photo=review_history.registry_photo_id(db, staff, item) is not None,
                           decided_by=certificate_record.staff_names(db, {item.decided_by}).get(item.decided_by or 0),
                           reason=request.form.get("reason", ""), notice_chars=TEMPLATE_VALUE_MAX), status


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


@bp.get("/requests/<int:request_id>/registry-photo")
@roles_required("reviewer")
def registry_photo(request_id: int) -> Response:
    """The holder's photo on record, to compare with the uploaded ones (the request is the purpose)."""
    staff = current_staff()
    assert staff is not None
    data = review_history.registry_photo(deps.db_session(), deps.pii(), staff, request_id)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


@bp.post("/requests/<int:request_id>/decide")
@roles_required("reviewer")
def decide(request_id: int) -> BaseResponse | tuple[str, int]:
    """Approve (after a confirmation) or reject; the worker is notified at once if WeChat answers."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    action = request.form.get("action")
    if action not in ("approve", "reject"):
        return _request_page(request_id, "请选择通过或驳回", 400)
    if action == "approve" and request.form.get("confirmed") != "yes":
        return _request_page(request_id, confirm=True)  # approving binds the account: ask once more
    try:
        decision = manual_review.decide(db, staff, request_id, action == "approve",
                                        request.form.get("reason", ""), deps.clock().now())
    except ReviewError as exc:
        db.rollback()
        return _request_page(request_id, exc.message, 400)
    delivered = send_now(decision.notification_id)
    verdict = "已通过" if action == "approve" else "已驳回"
    clipped = len(decision.request.reason or "") > TEMPLATE_VALUE_MAX
    flash(f"申请 #{request_id} {verdict}，" + ("已通知申请人" if delivered else "通知将稍后自动重试发送")
          + (f"（微信通知只显示理由的前{TEMPLATE_VALUE_MAX}个字，全文在通知链接的页面上）" if clipped else ""),
          "success")
    return redirect(url_for("admin.queue"))
