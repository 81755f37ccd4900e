"""信息更正 in the back office: the reviewer's queue with its 5-working-day countdown, one request, the decision.

Requests of another 签发机关 are a 404. Approving applies the correction through the operators' path
(app.services.certificate_admin.record_correction); the holder is notified of either outcome.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain import legalbasis
from app.domain.corrections import FIELDS, countdown, display
from app.services import certificate_admin, certificate_record, corrections
from app.services.calendar import current_calendar
from app.services.corrections import STATE_LABELS, CorrectionError
from app.services.presenters import KIND_LABELS, scope_labels
from app.storage.models import Certificate, Person
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.admin.effects import send_now, status_changed


@bp.get("/corrections")
@roles_required("reviewer")
def corrections_queue() -> str:
    """Pending requests oldest first, each counting down to its deadline; then the recent decisions."""
    staff, db, today = current_staff(), deps.db_session(), deps.clock().today()
    assert staff is not None
    pending = corrections.queue(db, staff, today, current_calendar(db))
    return render_template("admin/certs/corrections.html", staff=staff, pending=pending,
                           overdue=sum(item.countdown.overdue for item in pending),
                           decided=corrections.decided(db, staff), fields=FIELDS, states=STATE_LABELS,
                           scope_labels=scope_labels)


def _page(request_id: int, error: CorrectionError | None = None, status: int = 200) -> tuple[str, int]:
    staff, db, today = current_staff(), deps.db_session(), deps.clock().today()
    assert staff is not None
    row = corrections.request_for(db, staff, request_id)
    if row is None:
        abort(404)
    cert, person = db.get(Certificate, row.certificate_id), db.get(Person, row.person_id)
    assert cert is not None and person is not None
    current = certificate_admin.current_values(cert, person)
    return render_template(
        "admin/certs/correction.html", staff=staff, row=row, cert=cert, person=person, field=FIELDS[row.field],
        current=display(current.get(row.field)), kind_label=KIND_LABELS[cert.kind], scope=scope_labels(cert),
        countdown=countdown(corrections.submitted_on(row), today, current_calendar(db)), states=STATE_LABELS,
        names=certificate_record.staff_names(db, {row.decided_by}), error=error,
        reason=request.form.get("reason", "")), status


@bp.get("/corrections/<int:request_id>")
@roles_required("reviewer")
def correction(request_id: int) -> tuple[str, int]:
    return _page(request_id)


@bp.get("/corrections/<int:request_id>/photo")
@roles_required("reviewer")
def correction_photo(request_id: int) -> Response:
    """The decrypted evidence photo, for reviewers of the request's authority; never cached."""
    staff = current_staff()
    assert staff is not None
    data = corrections.photo_for(deps.db_session(), deps.pii(), staff, request_id)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


@bp.post("/corrections/<int:request_id>/decide")
@roles_required("reviewer")
def decide_correction(request_id: int) -> BaseResponse | tuple[str, int]:
    """同意更正 (applied at once) or 不予更正 (with a reason the holder reads)."""
    staff, db, form = current_staff(), deps.db_session(), request.form
    assert staff is not None
    decision = form.get("decision")
    if decision not in ("approve", "reject"):
        return _page(request_id, CorrectionError("请选择同意或不予更正"), 400)
    try:
        row, notification_id = corrections.decide(db, staff, request_id, decision == "approve",
                                                  form.get("reason", "")[:1000], deps.clock().now(),
                                                  legalbasis.load_default())
    except CorrectionError as exc:
        db.rollback()
        return _page(request_id, exc, 400)
    if row.state == "approved":
        status_changed()  # a corrected validity date changes what verifiers see
    delivered = send_now(notification_id)
    verdict = "已同意更正" if row.state == "approved" else "已不予更正"
    flash(f"更正申请 #{row.id} {verdict}，" + ("已通知申请人" if delivered else "通知将稍后自动重试发送"),
          "success")
    return redirect(url_for("admin.corrections_queue"))
