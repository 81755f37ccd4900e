"""Worker pages for manual review (人工审核) under /h5/review: the request form and its status.

A worker reaches these pages from a failed face check. They must be signed in through WeChat and
registered (verified or not). The request is committed before the page says 已提交.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

from app.services import manual_review, ratelimit
from app.services.manual_review import PHOTO_KINDS, STATE_LABELS, ReviewError, Submission
from app.services.ratelimit import Hit, Rule
from app.storage.models import Person
from app.web import deps
from app.web.bodylimit import body_limit
from app.web.filters import review_wait_text
from app.web.h5.session import current_openid, registered_person, require_wechat_user

bp = Blueprint("review", __name__, url_prefix="/h5/review")
# Attempts per openid per China day, bad uploads included; one open request per holder and account
# bounds storage.
SUBMITS = Rule("review_submit:openid", limit=20, window=86400)
FORM_OVERHEAD = 256 * 1024  # multipart boundaries and the text fields around the three photos
# What the page shrinks a phone photo to before upload (app/static/photo-shrink.js): a face and the
# ID card's print stay legible at 2048 px; 4-15 MB photos become about 0.5-1.5 MB.
SHRINK_PIXELS, SHRINK_BYTES = 2048, 1_500_000


def _body_limit() -> int:
    """Three photos at the configured maximum each, plus the form around them."""
    return len(PHOTO_KINDS) * deps.settings().review.max_photo_bytes + FORM_OVERHEAD


def _read(file: FileStorage | None, limit: int) -> bytes:
    """An uploaded file's bytes, reading at most one byte past the limit (enough to refuse it)."""
    return file.stream.read(limit + 1) if file is not None and file.filename else b""


def _form(person: Person, error: str | None = None, field: str | None = None,
          status: int = 200) -> tuple[str, int]:
    """The request form, re-shown with what the worker typed and the error next to its field."""
    authorities = manual_review.authorities_of(deps.db_session(), person.id)
    return render_template(
        "review/new.html", person=person, authorities=authorities, photo_kinds=PHOTO_KINDS,
        error=error, field=field, description=request.form.get("description", ""),
        chosen=request.form.get("authority", authorities[0] if len(authorities) == 1 else ""),
        max_mb=deps.settings().review.max_photo_bytes // (1024 * 1024), shrink_px=SHRINK_PIXELS,
        shrink_bytes=min(SHRINK_BYTES, deps.settings().review.max_photo_bytes),
        retention_days=deps.settings().review.photo_retention_days), status


def _not_registered() -> tuple[str, int]:
    return render_template("review/not_registered.html"), 403


@bp.get("/new")
@require_wechat_user
def new() -> BaseResponse | tuple[str, int]:
    """The form; a worker with a pending request is shown its status instead."""
    db, openid = deps.db_session(), current_openid() or ""
    person = registered_person(db)
    if person is None:
        return _not_registered()
    if manual_review.open_request(db, person.id, openid) is not None:
        return redirect(url_for("review.status"))
    return _form(person)


@bp.post("/new")
@require_wechat_user
@body_limit(_body_limit)
def submit() -> BaseResponse | tuple[str, int]:
    """Validate, store durably, then show the status page."""
    db, openid = deps.db_session(), current_openid()
    person = registered_person(db)
    if person is None or openid is None:
        return _not_registered()
    if ratelimit.check(deps.store(), deps.clock().now(), Hit(SUBMITS, openid)) is not None:
        return _form(person, "今日提交次数过多，请明天再试", status=429)
    limit = deps.settings().review.max_photo_bytes
    files = {kind: _read(request.files.get(kind), limit) for kind in PHOTO_KINDS}
    sub = Submission(request.form.get("authority", ""), request.form.get("description", ""), files)
    try:
        manual_review.submit(db, deps.pii(), person_id=person.id, openid=openid, sub=sub,
                             now=deps.clock().now(), max_photo_bytes=limit)
    except ReviewError as exc:
        db.rollback()
        return _form(person, exc.message, exc.field, status=400)
    return redirect(url_for("review.status", submitted=1))


@bp.errorhandler(413)
def too_large(_error: Exception) -> tuple[str, int]:
    """The whole upload exceeded the limit: the body was not read, so the form starts over."""
    mb = deps.settings().review.max_photo_bytes // (1024 * 1024)
    return render_template("review/too_large.html", max_mb=mb), 413


@bp.get("")
@require_wechat_user
def status() -> BaseResponse | tuple[str, int]:
    """待审核 / 已通过 / 已驳回 with the reason, and how long reviews usually take."""
    db, openid = deps.db_session(), current_openid() or ""
    person = registered_person(db)
    if person is None:
        return _not_registered()
    latest = manual_review.latest_request(db, person.id, openid)
    if latest is None:
        return redirect(url_for("review.new"))
    return render_template(
        "review/status.html", item=latest, state_label=STATE_LABELS[latest.state],
        typical=review_wait_text(manual_review.median_decision_time(db)),
        just_submitted=request.args.get("submitted") == "1"), 200
