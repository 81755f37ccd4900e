"""我的证书: the bound holder's certificates, their image and PDF, and the 亮证 live code.

Only the verified, bound holder of a certificate gets anything here: any other openid (or nobody)
gets the same 404 whether the id exists or not. Files come from app.services.certificate_files.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain import certactions, livecode
from app.domain.status import StatusCode
from app.services import accounts, certificate_admin, inspection_log, next_steps, registry
from app.services.keyring import KeyringError
from app.services.presenters import KIND_LABELS, describe, scope_labels
from app.services.registry import Found
from app.web import deps
from app.web.h5 import bp, notice
from app.web.h5.session import bound_person, current_openid, require_wechat_user

FORMATS = {"png": "image/png", "pdf": "application/pdf"}
LIVE_REFRESH_SECONDS = livecode.REFRESH_SECONDS  # the page's promise; the token lives 5 s longer at most


def my_certificates() -> str:
    """The list page (called by /h5/my once the user is verified and bound)."""
    db, today = deps.db_session(), deps.clock().today()
    person = bound_person(db)
    assert person is not None
    items = [_summary(found) for found in accounts.certificates_of(db, person, today)]
    return render_template("h5/my.html", person=person, items=items,
                           inspections=inspection_log.for_holder(db, person.id))


def _summary(found: Found) -> dict[str, Any]:
    """What one row of the list shows."""
    cert, status, step = found.certificate, found.status, next_steps.for_found(found, with_reason=True)
    return {"public_id": cert.public_id, "kind": KIND_LABELS[cert.kind],
            "scope": " · ".join(part for part in scope_labels(cert) if part),
            "status": status.label, "code": status.code.value, "valid_until": cert.valid_until.isoformat(),
            "next": step.summary if step else None}


def own(public_id: str) -> Found:
    """The bound holder's certificate, else 404 (never saying whether the id exists)."""
    db = deps.db_session()
    person = bound_person(db)
    found = accounts.own_certificate(db, person, public_id, deps.clock().today()) if person else None
    if found is None:
        abort(404)
    return found


def published(found: Found) -> Found:
    """Files and live codes exist only once the certificate is published."""
    if found.status.code == StatusCode.UNPUBLISHED:
        abort(404)
    return found


def _files() -> Any:
    """The e-certificate renderer (issue 5), imported when first needed."""
    from app.services import certificate_files

    return certificate_files


@bp.errorhandler(KeyringError)
def _no_signing_key(_exc: KeyringError) -> tuple[str, int]:
    """A deployment without a signing key cannot make files or codes: say so, never a bare 500."""
    current_app.logger.error("certificate files unavailable: no usable signing key")
    return notice("电子证书暂时无法生成", "电子证书服务正在维护，请稍后再试。", 503,
                  action_url=url_for("h5.my"), action_label="返回我的证书")


@bp.get("/my/cert/<public_id>")
@require_wechat_user
def cert_detail(public_id: str) -> str:
    """One certificate: its fields, the image, downloads and 亮证; or the date it will be published."""
    found = own(public_id)
    shown = describe(found, deps.clock().today())
    fields = {k: v for k, v in shown.items() if v is not None and not k.isascii() and k not in ("查询日期", "版本")}
    unpublished = found.status.code == StatusCode.UNPUBLISHED
    return render_template("h5/cert.html", found=found, fields=fields, unpublished=unpublished,
                           step=next_steps.for_found(found, with_reason=True), public_id=public_id,
                           actions=certificate_admin.holder_actions(deps.db_session(), found.certificate.id),
                           action_labels=certactions.LABELS)


@bp.get("/my/cert/<public_id>/image.png")
@require_wechat_user
def cert_image(public_id: str) -> Response:
    """The e-certificate image shown on the detail page (logged as a view)."""
    return _file(published(own(public_id)), "png", "view", attachment=False)


@bp.get("/my/cert/<public_id>/download.<fmt>")
@require_wechat_user
def cert_download(public_id: str, fmt: str) -> Response:
    """Download the image or the PDF; every download is logged."""
    if fmt not in FORMATS:
        abort(404)
    return _file(published(own(public_id)), fmt, "download", attachment=True)


def _file(found: Found, fmt: str, purpose: str, attachment: bool) -> Response:
    """Render through certificate_files, log it, and send it uncached."""
    db, now = deps.db_session(), deps.clock().now()
    cert = registry.full_certificate(db, found.certificate)
    data = _files().render_certificate(db, deps.pii(), cert, fmt, purpose, now)
    accounts.log_download(db, current_openid() or "", found.certificate, fmt, purpose, now)
    response = Response(data, mimetype=FORMATS[fmt])
    if attachment:
        name = f"certificate-{found.certificate.public_id}.{fmt}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/my/cert/<public_id>/live")
@require_wechat_user
def cert_live(public_id: str) -> str:
    """亮证: a live QR code for an inspector, refreshed every minute by the page."""
    found = published(own(public_id))
    return render_template("h5/live.html", found=found, kind=KIND_LABELS[found.certificate.kind],
                           code_url=url_for("h5.cert_live_code", public_id=public_id),
                           refresh_seconds=LIVE_REFRESH_SECONDS)


@bp.get("/my/cert/<public_id>/live.json")
@require_wechat_user
def cert_live_code(public_id: str) -> BaseResponse:
    """A fresh live code as JSON: the QR as a PNG data URL, the server's time, when to refresh."""
    found = published(own(public_id))
    now = deps.clock().now()
    _text, png, expires_at = _files().live_qr(deps.db_session(), found.certificate, now)
    return jsonify({"qr_png": "data:image/png;base64," + base64.b64encode(png).decode(),
                    "now": now.isoformat(timespec="milliseconds"), "expires_at": expires_at.isoformat(),
                    "refresh_at": (now + timedelta(seconds=LIVE_REFRESH_SECONDS)).isoformat(timespec="milliseconds"),
                    "refresh_seconds": LIVE_REFRESH_SECONDS, "valid": found.status.is_valid,
                    "status": found.status.label})
