"""信息有误？申请更正: a verified holder reports a wrong field of a certificate, and follows the request.

Only the bound holder of the certificate gets the form (anyone else: the same 404 as for any unknown
id). The evidence photo follows the manual-review upload rules (re-encoded without metadata,
encrypted; [review] max_photo_bytes). The request is committed before the page says 已提交.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.corrections import DEADLINE_WORKDAYS, FIELDS, countdown, fields_for
from app.services import certificate_admin, corrections, ratelimit, registry
from app.services.calendar import current_calendar
from app.services.corrections import STATE_LABELS, CorrectionError, Submission
from app.services.presenters import KIND_LABELS, scope_labels
from app.services.ratelimit import Hit, Rule
from app.services.timeutil import china_text
from app.storage.models import Certificate, CorrectionRequest, Person
from app.web import deps
from app.web.bodylimit import body_limit
from app.web.h5 import bp
from app.web.h5.certs import own
from app.web.h5.session import bound_person, current_openid, require_wechat_user
from app.web.uploads import FORM_OVERHEAD, read_upload

# Attempts per openid per China day, bad uploads included; one open request per certificate and
# account bounds storage.
SUBMITS = Rule("correction_submit:openid", limit=10, window=86400)


def _body_limit() -> int:
    """One photo at the configured maximum, plus the form around it."""
    return deps.settings().review.max_photo_bytes + FORM_OVERHEAD


def _form(public_id: str, error: CorrectionError | None = None, status: int = 200) -> tuple[str, int]:
    """The form, re-shown with what the holder typed and the error next to its field."""
    found = own(public_id)
    db = deps.db_session()
    cert = registry.full_certificate(db, found.certificate)
    person = db.get(Person, cert.person_id)
    assert person is not None
    current = certificate_admin.current_values(cert, person)
    return render_template(
        "h5/correction_new.html", public_id=public_id, kind=KIND_LABELS[cert.kind],
        scope=" · ".join(p for p in scope_labels(cert) if p), fields=fields_for(cert.kind), current=current,
        pending=corrections.open_request(db, cert.id, current_openid() or ""), error=error,
        form=request.form, workdays=DEADLINE_WORKDAYS,
        max_mb=deps.settings().review.max_photo_bytes // (1024 * 1024)), status


@bp.get("/my/cert/<public_id>/correction")
@require_wechat_user
def correction_form(public_id: str) -> tuple[str, int]:
    return _form(public_id)


@bp.post("/my/cert/<public_id>/correction")
@require_wechat_user
@body_limit(_body_limit)
def correction_submit(public_id: str) -> BaseResponse | tuple[str, int]:
    """Check, store durably, then show the request's page."""
    found, db, openid = own(public_id), deps.db_session(), current_openid() or ""
    if ratelimit.check(deps.store(), deps.clock().now(), Hit(SUBMITS, openid)) is not None:
        return _form(public_id, CorrectionError("今日提交次数过多，请明天再试"), 429)
    cert = registry.full_certificate(db, found.certificate)
    person = db.get(Person, cert.person_id)
    assert person is not None
    limit, form = deps.settings().review.max_photo_bytes, request.form
    sub = Submission(form.get("field", ""), form.get("value", "")[:300], form.get("note", "")[:1000],
                     read_upload(request.files.get("photo"), limit))
    try:
        row = corrections.submit(db, deps.pii(), cert, person, openid, sub, deps.clock().now(), limit)
    except CorrectionError as exc:
        db.rollback()
        return _form(public_id, exc, 400)
    return redirect(url_for("h5.correction_status", request_id=row.id, submitted=1))


@bp.get("/corrections/<int:request_id>")
@require_wechat_user
def correction_status(request_id: int) -> str:
    """The request's state, its deadline, and the reason when it was not granted."""
    db, openid = deps.db_session(), current_openid()
    person = bound_person(db)
    row = db.get(CorrectionRequest, request_id) if 0 < request_id < 2**31 else None
    if row is None or person is None or row.openid != openid or row.person_id != person.id:
        abort(404)
    cert = db.get(Certificate, row.certificate_id)
    assert cert is not None
    deadline = countdown(corrections.submitted_on(row), deps.clock().today(), current_calendar(db))
    return render_template("h5/correction_status.html", row=row, field=FIELDS[row.field],
                           state_label=STATE_LABELS[row.state], public_id=cert.public_id,
                           kind=KIND_LABELS[cert.kind], submitted_at=china_text(row.created_at),
                           decided_at=china_text(row.decided_at), deadline=deadline,
                           just_submitted=request.args.get("submitted") == "1")
