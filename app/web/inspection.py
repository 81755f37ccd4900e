"""The inspector view (/inspect/v/<token>): what a bound inspector sees of a scanned certificate.

A bound inspector (app/services/inspector_binding.py) opening a code's page inside WeChat is signed in
silently (snsapi_base: no prompt) and sees the holder's full name, registry photo, full status with
the authority's reason and dates, the holder's other items and the ID-number check; each check is
logged (app/services/inspections.py). Everyone else is sent to the public /v/ page, which keeps the
masked view and never shows a photo. The ID check answers in place: the banner itself says 一致 or
不一致 and turns red on a mismatch, and the typed number stays in its field.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.domain.idnumber import IdNumberError, normalize_id_number
from app.domain.inspection import MATCH, MISMATCH, banner
from app.domain.qrtext import BASE32_SEGMENT, BASE64URL_SEGMENT
from app.domain.qrtoken import MAX_TEXT_CHARS, id_number_matches
from app.integrations import rediskeys
from app.integrations.wechat import OAuthCodeRejected, WeChatApiError, WeChatUnavailable
from app.services import inspections, inspector_binding
from app.services.photos import load_photo
from app.services.verification import GENUINE, Verdict
from app.storage.models import Inspection, Staff
from app.web import deps
from app.web.h5 import in_wechat
from app.web.h5.session import current_openid, sign_in
from app.web.verify import SIGNIN_TRIED, inspector_url, tone

bp = Blueprint("inspection", __name__, url_prefix="/inspect")

STATE_KEY = "inspect_oauth_state"
NEXT_KEY = "inspect_next"
OAUTH_STATE_TTL = 600


def _marker() -> str:
    return BASE32_SEGMENT if request.path.startswith("/inspect/V/") else BASE64URL_SEGMENT


def public_url(marker: str, token: str) -> str:
    """The public verdict page of the same code (/v/ base64url or /V/ base32, as it came)."""
    return f"/{marker}/{token}"


def may_sign_in() -> bool:
    """Inside WeChat's browser, or anywhere with the dev tools (the simulator's fake WeChat)."""
    return in_wechat() or deps.settings().server.dev_tools


def _inspector() -> Staff | None:
    return inspector_binding.inspector_for(deps.db_session(), current_openid())


@bp.get("/v/<path:token>")
@bp.get("/V/<path:token>")
def view(token: str) -> BaseResponse:
    """The inspector view, after a silent WeChat sign-in; anyone else goes to the public page."""
    marker = _marker()
    # "signin=0": sign-in failed and this browser keeps no cookie; never loop through WeChat again.
    gave_up = request.args.get("signin") == "0"
    if current_openid() is None and not session.get(SIGNIN_TRIED) and not gave_up and may_sign_in():
        return _start_sign_in(inspector_url(marker, token))
    staff = _inspector()
    if staff is None:
        return redirect(public_url(marker, token) + ("?signin=0" if gave_up else ""))
    return _render(staff, token, marker)


@bp.post("/v/<path:token>")
@bp.post("/V/<path:token>")
def check(token: str) -> BaseResponse:
    """The inspector's ID-number check and site, added to the check's row (CSRF-protected)."""
    marker, staff = _marker(), _inspector()
    if staff is None:
        return redirect(public_url(marker, token))
    raw = request.form.get("id_number", "")[:40]
    return _render(staff, token, marker, typed=raw, row_id=request.form.get("row", ""),
                   site=request.form.get("site", "")[:200])


def _render(staff: Staff, token: str, marker: str, typed: str | None = None,
            row_id: str = "", site: str = "") -> Response:
    """Verify, log the check, compare a typed number, and show the page."""
    db, now = deps.db_session(), deps.clock().now()
    verdict = deps.verifier().verify_token(token if len(token) <= MAX_TEXT_CHARS else "", marker)
    details = None
    if verdict.outcome == GENUINE and verdict.public_id and verdict.status is not None:
        details = inspections.details(db, verdict.public_id, now.date())
    row = None
    if details is not None and verdict.version is not None:
        row = _row(staff, details, verdict.version, row_id)
    id_check = _id_check(verdict, typed) if typed is not None else None
    if row is not None and id_check is not None:
        inspections.add_check(row, id_check.get("result"), site)
    db.commit()
    return _page(verdict, details, row, id_check, typed, marker, token)


def _row(staff: Staff, details: inspections.InspectorDetails, version: int, row_id: str) -> Inspection:
    db, now = deps.db_session(), deps.clock().now()
    if row_id.isdigit():
        own = inspections.own_row(db, staff.id, int(row_id), details.certificate_id)
        if own is not None:
            return own
    return inspections.record(db, staff, details, version, inspections.PAGE, now)


def _id_check(verdict: Verdict, typed: str) -> dict[str, str] | None:
    """一致 / 不一致 / a format error, for the typed number (nothing stored but the result)."""
    if verdict.claims is None:
        return None
    try:
        number = normalize_id_number(typed)
    except IdNumberError as exc:
        return {"tone": "bad", "text": f"号码格式不正确：{exc}"}
    if id_number_matches(verdict.claims, number):
        return {"tone": "ok", "text": "一致：身份证号码与证书持证人相符", "result": MATCH}
    return {"tone": "bad", "text": "不一致：身份证号码与证书持证人不符，请核实身份", "result": MISMATCH}


def _page(verdict: Verdict, details: inspections.InspectorDetails | None, row: Inspection | None,
          id_check: dict[str, str] | None, typed: str | None, marker: str, token: str) -> Response:
    shown_tone, headline = banner(tone(verdict), verdict.headline, (id_check or {}).get("result"))
    html = render_template(
        "verify/page.html", verdict=verdict, tone=shown_tone, status_tone=tone(verdict), headline=headline,
        id_check=id_check, typed=typed or "", official_domain=deps.settings().server.official_domain,
        can_check_id=verdict.claims is not None and verdict.outcome == GENUINE, inspector=details,
        row=row, form_action=inspector_url(marker, token),
        photo_url=url_for("inspection.photo", public_id=details.public_id) if details and details.has_photo else None,
        next_step=details.next_step if details else verdict.next_step)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # a name and a photo: never in any cache
    response.headers["Referrer-Policy"] = "same-origin"  # the form's CSRF check wants our own Referer
    return response


@bp.get("/photo/<public_id>")
def photo(public_id: str) -> Response:
    """The holder's registry photo, for a bound inspector only (a 404 for anyone else), never cached."""
    staff = _inspector()
    if staff is None:
        abort(404)
    db = deps.db_session()
    data = load_photo(db, deps.pii(), inspections.photo_id_for(db, staff.id, public_id[:24], deps.clock().today()))
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _start_sign_in(back_to: str) -> BaseResponse:
    """Silent WeChat web authorisation (snsapi_base); we come back to `back_to` either way."""
    state = secrets.token_urlsafe(24)
    session[STATE_KEY], session[NEXT_KEY] = state, back_to
    deps.store().set(rediskeys.oauth_state(state), "1", ttl=OAUTH_STATE_TTL)
    # The way back rides in the callback URL too (checked like the session's): a browser that keeps
    # no cookie still lands on the code's page, not on a dead end.
    callback = deps.settings().server.base_url.rstrip("/") + url_for("inspection.signed_in", next=back_to)
    return redirect(deps.wechat_api().oauth_authorize_url(callback, state, scope="snsapi_base"))


def _safe_back(path: object) -> str:
    text = path if isinstance(path, str) else ""
    ok = text.startswith(("/inspect/v/", "/inspect/V/")) and "\\" not in text and len(text) <= MAX_TEXT_CHARS + 20
    return text if ok else "/"


@bp.get("/signin/callback")
def signed_in() -> BaseResponse:
    """Back from WeChat: the openid signs in; on any failure the page goes on as the public one."""
    state, code = request.args.get("state", ""), request.args.get("code", "")
    expected = session.pop(STATE_KEY, None)
    back = _safe_back(session.pop(NEXT_KEY, None) or request.args.get("next"))
    store = deps.store()
    fresh = bool(state) and (store.delete_if_equals(rediskeys.oauth_state(state), "1") or store.degraded)
    openid = None
    if code and expected and secrets.compare_digest(str(expected), state) and fresh:
        try:
            openid = deps.wechat_api().oauth_exchange_code(code)
        except (OAuthCodeRejected, WeChatApiError, WeChatUnavailable):
            openid = None
    if openid:
        sign_in(openid)
        return redirect(back)
    session[SIGNIN_TRIED] = True
    return redirect(back + "?signin=0" if back != "/" else back)
