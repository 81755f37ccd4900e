"""我的证书 → 加注件: the holder makes a copy for a purpose and a recipient, sees its link, its PDF and
when it was opened, and revokes it. The recipient's side is app/web/shared.py (/s/<token>).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.sharecopy import DAY_CHOICES, STATE_LABELS, CopyTermsError, copy_terms
from app.services import certificate_files, shares
from app.services.presenters import KIND_LABELS, scope_labels
from app.storage.models import Certificate, SharedCopy
from app.web import deps
from app.web.h5 import bp
from app.web.h5.certs import own, published
from app.web.h5.session import bound_person, current_openid, require_wechat_user


def share_link(token: str) -> str:
    """The link the holder hands on."""
    return deps.settings().server.base_url.rstrip("/") + url_for("shared.page", token=token)


@bp.context_processor
def _share_helpers() -> dict[str, Any]:
    """For the include on the certificate page (templates/h5/_shares.html)."""
    return {"shared_copies": _copies_of}


def _copies_of(public_id: str) -> list[dict[str, Any]]:
    """The holder's copies of one certificate, for its page."""
    db, today = deps.db_session(), deps.clock().today()
    found = own(public_id)
    return [{"id": c.id, "purpose": c.purpose, "recipient": c.recipient, "expires_on": c.expires_on.isoformat(),
             "state": shares.state_of(c, today), "state_label": STATE_LABELS[shares.state_of(c, today)]}
            for c in shares.copies_of(db, found.person.id, found.certificate.id)]


@bp.get("/my/cert/<public_id>/share")
@require_wechat_user
def share_form(public_id: str) -> str:
    """The form: purpose, recipient, how long the link opens."""
    return _render_form(published(own(public_id)).certificate, {}, None)


@bp.post("/my/cert/<public_id>/share")
@require_wechat_user
def share_create(public_id: str) -> BaseResponse | tuple[str, int]:
    """Make the copy, then show its link."""
    found = published(own(public_id))
    db, form, now = deps.db_session(), request.form, deps.clock().now()
    try:
        terms = copy_terms(form.get("purpose", "")[:60], form.get("recipient", "")[:60], form.get("days", "")[:4],
                           now.date())
        copy, _token = shares.create(db, deps.pii(), found.certificate.id, found.person.id, current_openid() or "",
                                     terms, now)
    except CopyTermsError as exc:
        db.rollback()
        return _render_form(found.certificate, form, exc), 400
    return redirect(url_for("h5.share_detail", copy_id=copy.id))


def _render_form(cert: Any, form: Any, error: CopyTermsError | None) -> str:
    values = {key: str(form.get(key, ""))[:60] for key in ("purpose", "recipient", "days")}
    return render_template("h5/share_new.html", cert=cert, title=_title(cert), values=values, error=error,
                           day_choices=DAY_CHOICES)


def _title(cert: Any) -> str:
    """The certificate's name on these pages: its 操作项目 or 人员类型, else its kind."""
    first, second = scope_labels(cert)
    return (second if cert.kind == "special_ops" else first) or KIND_LABELS[cert.kind]


def _own_copy(copy_id: int) -> tuple[SharedCopy, Certificate]:
    """The bound holder's copy and its certificate, else 404 (never saying whether it exists)."""
    db = deps.db_session()
    person = bound_person(db)
    copy = shares.own_copy(db, person.id, copy_id) if person else None
    cert = db.get(Certificate, copy.certificate_id) if copy else None
    if copy is None or cert is None:
        abort(404)
    return copy, cert


@bp.get("/my/share/<int:copy_id>")
@require_wechat_user
def share_detail(copy_id: int) -> str:
    """One copy: its link, its PDF, when it was opened; revoke."""
    copy, cert = _own_copy(copy_id)
    state = shares.state_of(copy, deps.clock().today())
    total, views = shares.views_of(deps.db_session(), copy.id)
    return render_template("h5/share_detail.html", copy=copy, cert=cert, title=_title(cert), state=state,
                           state_label=STATE_LABELS[state], link=share_link(shares.token_of(deps.pii(), copy)),
                           total=total, views=views)


@bp.post("/my/share/<int:copy_id>/revoke")
@require_wechat_user
def share_revoke(copy_id: int) -> BaseResponse:
    """Withdraw the link: from now on it shows only that it was revoked."""
    copy, _cert = _own_copy(copy_id)
    shares.revoke(deps.db_session(), copy, deps.clock().now())
    return redirect(url_for("h5.share_detail", copy_id=copy_id))


@bp.get("/my/share/<int:copy_id>/copy.pdf")
@require_wechat_user
def share_pdf(copy_id: int) -> Response:
    """The copy as a PDF with its purpose, recipient and last day in the watermark."""
    copy, cert = _own_copy(copy_id)
    if not shares.is_open(copy, deps.clock().today()):
        abort(404)
    data = certificate_files.render_certificate(deps.db_session(), deps.pii(), cert, "pdf", "share",
                                                deps.clock().now(), shares.annotation(copy))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="copy-{cert.public_id}-{copy.id}.pdf"'
    return response
