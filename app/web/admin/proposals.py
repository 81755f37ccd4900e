"""撤销 and 注销 waiting for approval: the list, one proposal, and an admin's decision.

Two people: the operator who proposed cannot approve (app.domain.certactions.approval_refusal).
An admin of another 签发机关 neither sees the proposal in the list nor opens it (404).
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain import certactions
from app.domain.certactions import approval_refusal
from app.services import certificate_admin, certificate_record
from app.services.certificate_admin import ActionError
from app.services.presenters import KIND_LABELS, scope_labels
from app.storage.models import Certificate, Person
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.admin.certificates import after_action


@bp.get("/proposals")
@roles_required("admin", "operator")
def proposals() -> str:
    """Pending 撤销 / 注销 proposals of the staff member's authority, oldest first."""
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    rows = certificate_admin.pending_proposals(db, staff)
    names = certificate_record.staff_names(db, {row.proposed_by for row, _ in rows})
    return render_template("admin/certs/proposals.html", staff=staff, rows=rows, names=names,
                           labels=certactions.LABELS, kind_labels=KIND_LABELS, scope_labels=scope_labels)


def _page(action_id: int, error: str | None = None, status: int = 200) -> tuple[str, int]:
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    row = certificate_admin.proposal_for(db, staff, action_id)
    if row is None:
        abort(404)
    cert = db.get(Certificate, row.certificate_id)
    assert cert is not None
    person = db.get(Person, cert.person_id)
    names = certificate_record.staff_names(db, {row.proposed_by, row.decided_by})
    refusal = approval_refusal(staff.roles, staff.id, row.proposed_by)
    return render_template("admin/certs/proposal.html", staff=staff, row=row, cert=cert, person=person,
                           names=names, labels=certactions.LABELS, states=certactions.PROPOSAL_STATES,
                           kind_label=KIND_LABELS[cert.kind], scope=scope_labels(cert), error=error,
                           refusal=refusal, note=request.form.get("note", "")), status


@bp.get("/proposals/<int:action_id>")
@roles_required("admin", "operator")
def proposal(action_id: int) -> tuple[str, int]:
    return _page(action_id)


@bp.post("/proposals/<int:action_id>/decide")
@roles_required("admin")
def decide_proposal(action_id: int) -> BaseResponse | tuple[str, int]:
    """Approve (with the confirmation box ticked) or reject (with a reason)."""
    staff, db, form = current_staff(), deps.db_session(), request.form
    assert staff is not None
    approve = form.get("decision") == "approve"
    if form.get("decision") not in ("approve", "reject"):
        return _page(action_id, "请选择批准或驳回", 400)
    if approve and form.get("confirm") != "yes":
        return _page(action_id, "请勾选确认：撤销、注销后不能恢复", 400)
    try:
        done = certificate_admin.decide(db, staff, action_id, approve, form.get("note", "")[:1000],
                                        deps.clock().now())
    except ActionError as exc:
        db.rollback()
        return _page(action_id, exc.message, 400)
    label = certactions.LABELS[certactions.Action(done.action.action)]
    cert = db.get(Certificate, done.action.certificate_id)
    assert cert is not None
    after_action(done, f"已批准{label}，即时生效" if approve else f"已驳回{label}申请")
    return redirect(url_for("admin.certificate", public_id=cert.public_id))
