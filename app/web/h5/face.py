"""Face verification pages: consent reminder, start (to Tencent's page) and the return page."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.services import accounts, manual_review
from app.services import face_verification as face
from app.storage.models import Person, WechatUser
from app.web import deps
from app.web.h5 import bp
from app.web.h5.session import (
    FACE_ATTEMPT_KEY,
    bound_person,
    current_openid,
    current_wechat_user,
    registered_person,
    require_wechat_user,
)

MANUAL_REVIEW_URL = "/h5/review/new"  # the manual-review request form (app/web/review.py)


def _left_today(person: Person) -> int:
    """Face checks this account may still start today for the holder (both caps counted)."""
    return face.left_today(deps.db_session(), deps.settings().faceid, person.id, current_openid() or "",
                           deps.clock().now())


def _result_page(outcome: face.FaceOutcome, status: int = 200) -> tuple[str, int]:
    """Success, or the failure with what is left today, a retry and the manual-review offer."""
    person = None if outcome.passed else registered_person(deps.db_session())
    return render_template("h5/face_result.html", outcome=outcome, review_url=MANUAL_REVIEW_URL,
                           left=_left_today(person) if person else None,
                           recheck_registration=outcome.kind in face.REGISTRATION_KINDS), status


def _start_page(user: WechatUser, person: Person, error: str | None = None, status: int = 200,
                ) -> tuple[str, int]:
    """The face-check page: whom it checks, attempts left today, consent if not yet given, a rejected review."""
    latest = manual_review.latest_request(deps.db_session(), person.id, user.openid)
    return render_template(
        "h5/face_start.html", person_name=person.name, masked_id=person.id_masked, review_url=MANUAL_REVIEW_URL,
        left=_left_today(person), needs_consent=user.consent_at is None, consent_text=accounts.CONSENT_TEXT,
        error=error, rejected=latest if latest is not None and latest.state == "rejected" else None), status


@bp.get("/face")
@require_wechat_user
def face_start_page() -> BaseResponse | tuple[str, int]:
    """Explain the face check; the same page whether or not another WeChat account holds this holder."""
    db = deps.db_session()
    if bound_person(db) is not None:
        return redirect(url_for("h5.my"))
    user, person = current_wechat_user(db), registered_person(db)
    if user is None or person is None:
        return redirect(url_for("h5.register_form"))
    return _start_page(user, person)


@bp.post("/face/start")
@require_wechat_user
def face_start() -> BaseResponse | tuple[str, int]:
    """Create the FaceID session and send the user to Tencent's liveness page."""
    db = deps.db_session()
    user, person = current_wechat_user(db), registered_person(db)
    if user is None or person is None or user.verified_at is not None:
        return redirect(url_for("h5.my"))
    settings, now = deps.settings(), deps.clock().now()
    if user.consent_at is None:  # registered for manual review; the face check needs consent first
        if request.form.get("consent") != "yes":
            return _start_page(user, person, accounts.CONSENT_MISSING, 400)
        accounts.record_consent(user, now)
        db.commit()
    back = settings.server.base_url.rstrip("/") + url_for("h5.face_return")
    try:
        started = face.start(db, deps.face_verifier(), deps.pii(), settings.faceid, user, person, back, now)
    except face.FaceStartRefused as refused:
        db.rollback()
        status = 429 if refused.outcome.kind in face.CAP_KINDS else 503
        return _result_page(refused.outcome, status)
    session[FACE_ATTEMPT_KEY] = started.attempt_id
    return redirect(started.url)


@bp.get("/face/return")
@require_wechat_user
def face_return() -> tuple[str, int]:
    """Tencent sends the user back here; the URL's BizToken is ignored on purpose."""
    db, attempt_id = deps.db_session(), session.get(FACE_ATTEMPT_KEY)
    outcome = face.finish(db, deps.face_verifier(), deps.pii(), deps.settings().faceid,
                          current_openid() or "", attempt_id if isinstance(attempt_id, int) else None,
                          deps.clock().now())
    if not outcome.retry_result:  # concluded: the attempt id is of no further use
        session.pop(FACE_ATTEMPT_KEY, None)
    outcome = face.as_seen_by(outcome, bound=bound_person(db) is not None)
    return _result_page(outcome, 503 if outcome.kind == "unavailable" else 200)
