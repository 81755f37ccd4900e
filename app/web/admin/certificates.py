"""Certificates in the back office: search, the detail page, the registry photo and an operator's actions.

Every page is limited to the staff member's 签发机关 (another authority's certificate is a 404). The
rules live in app.domain.certactions; after an action its notice is sent and the cached status list
dropped (app/web/admin/effects.py), so /v/, 扫码查询 and offline verifiers see it at once.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain import certactions, corrections, legalbasis
from app.domain.certactions import Action, Request
from app.services import certificate_admin, certificate_record, certificate_search, manual_review
from app.services import corrections as corrections_service
from app.services import reveal as reveal_service
from app.services.certificate_admin import ActionError, Done
from app.services.photos import load_photo
from app.services.presenters import KIND_LABELS, scope_labels
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.admin.effects import send_all, status_changed
from app.web.admin.reveal import revealed

STAFF_ROLES = ("reviewer", "operator", "admin")
ACTIONS = {a.value: a for a in (Action.SUSPEND, Action.UNSUSPEND, Action.REVOKE, Action.CANCEL)}


@bp.get("/certificates")
@roles_required(*STAFF_ROLES)
def certificates() -> str:
    """Search: ID number, 证号, name + ID number, public id or employer; masked results in scope."""
    staff, raw = current_staff(), request.args.get("q", "")[:certificate_search.MAX_QUERY]
    assert staff is not None
    results = certificate_search.search(deps.db_session(), deps.pii(), staff, raw, deps.clock().now()) \
        if raw.strip() else None
    rows = [(found, " · ".join(p for p in scope_labels(found.certificate) if p)) for found in results.items] \
        if results else []
    return render_template("admin/certs/search.html", staff=staff, q=raw, results=results, rows=rows,
                           kind_labels=KIND_LABELS)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _detail(public_id: str, error: ActionError | None = None, form_name: str = "", status: int = 200,
            ) -> tuple[str, int]:
    """The detail page (re-shown with the error next to the form that caused it)."""
    staff, db, today = current_staff(), deps.db_session(), deps.clock().today()
    assert staff is not None
    on = _day(request.args.get("on")) or today
    record = certificate_record.record_for(db, staff, public_id, on, today)
    if record is None:
        abort(404)
    person_subject = f"person:{record.person.id}"
    full_id = reveal_service.full_id_number(db, deps.pii(), record.person.id) \
        if revealed("id_number", person_subject) else None
    bases = legalbasis.load_default()
    return render_template(
        "admin/certs/detail.html", staff=staff, r=record, today=today, full_id=full_id,
        person_subject=person_subject, photo_subject=f"certificate:{public_id}",
        scope=scope_labels(record.cert), kind_label=KIND_LABELS[record.cert.kind],
        bases={a.value: bases.for_action(a.value, record.cert.kind) for a in Action},
        fields=corrections.fields_for(record.cert.kind), action_labels=certactions.LABELS,
        proposal_states=certactions.PROPOSAL_STATES, field_labels=certificate_record.FIELD_LABELS,
        review_states=manual_review.STATE_LABELS, correction_states=corrections_service.STATE_LABELS,
        notification_labels=certificate_record.NOTIFICATION_LABELS,
        can_act=certactions.may_request(staff.roles) and record.cert.is_current,
        error=error, form_name=form_name, form=request.form), status


@bp.get("/certificates/<public_id>")
@roles_required(*STAFF_ROLES)
def certificate(public_id: str) -> tuple[str, int]:
    return _detail(public_id)


@bp.get("/certificates/<public_id>/photo")
@roles_required(*STAFF_ROLES)
def certificate_photo(public_id: str) -> Response:
    """The registry photo, only after a reveal of it in this session (and only in scope)."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    cert = certificate_admin.certificate_for(db, staff, public_id)
    if cert is None or not revealed("photo", f"certificate:{public_id}"):
        abort(404)
    data = load_photo(db, deps.pii(), cert.photo_id)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Content-Disposition": "inline"})


def _request(action: Action) -> Request:
    form = request.form
    return Request(action, form.get("reason", "")[:1000], form.get("basis", ""), _day(form.get("until")))


@bp.post("/certificates/<public_id>/actions")
@roles_required("operator")
def certificate_action(public_id: str) -> BaseResponse | tuple[str, int]:
    """暂扣 / 解除暂扣 at once; 撤销 / 注销 proposed for an admin's approval."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    action = ACTIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    try:
        done = certificate_admin.take(db, staff, public_id, _request(action), deps.clock().now(),
                                      legalbasis.load_default())
    except ActionError as exc:
        db.rollback()
        return _detail(public_id, exc, action.value, 400)  # a 404 if it is not in scope
    after_action(done, _message(done))
    return redirect(url_for("admin.certificate", public_id=public_id))


@bp.post("/certificates/<public_id>/correct")
@roles_required("operator")
def certificate_correct(public_id: str) -> BaseResponse | tuple[str, int]:
    """Correct one field in place; the previous value stays in the history."""
    staff, db, form = current_staff(), deps.db_session(), request.form
    assert staff is not None
    try:
        done = certificate_admin.correct(db, staff, public_id, form.get("field", ""), form.get("value", "")[:300],
                                         _request(Action.CORRECT), deps.clock().now(), legalbasis.load_default())
    except ActionError as exc:
        db.rollback()
        return _detail(public_id, exc, "correct", 400)
    after_action(done, "已更正，原值已记入更正记录")
    return redirect(url_for("admin.certificate", public_id=public_id))


def _message(done: Done) -> str:
    row = done.action
    label = certactions.LABELS[Action(row.action)]
    if row.state == "proposed":
        return f"已提出{label}申请，须由另一名管理员审批后生效"
    if row.until:
        return f"已{label}，{row.until.isoformat()}起自动恢复"
    return f"已{label}"


def after_action(done: Done, message: str) -> None:
    """Notices now (or later by the outbox) and a fresh status list; then tell the staff member."""
    if done.action.state in ("done", "approved"):  # a proposal or a rejection changes nothing
        status_changed()
    if done.notifications:
        message += "，已通知持证人" if send_all(done.notifications) else "，通知将稍后自动重试发送"
    flash(message, "success")
