"""Verification for anyone who scans a code: the /v/<token> page, POST /api/verify, keys, status list.

Every bad token answers 200 with the forged verdict (never a 500, nothing read from the database);
the verdict comes from `Verifier`, the same service that answers a scan in the official account.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from app.domain.idnumber import IdNumberError, normalize_id_number
from app.domain.inspection import MATCH, MISMATCH, banner
from app.domain.names import PersonNameError
from app.domain.qrtext import BASE32_SEGMENT, BASE64URL_SEGMENT
from app.domain.qrtoken import MAX_TEXT_CHARS, id_number_matches
from app.integrations import rediskeys
from app.services import inspector_binding, keyring, lookup_limits, ratelimit, status_list, verification_stats
from app.services import verdict_texts as texts
from app.services.ratelimit import Hit, Rule
from app.services.verification import CERT_NUMBER, EXPIRED_LIVE_CODE, GENUINE, Verdict
from app.web import deps
from app.web.bodylimit import body_limit
from app.web.errors import render_error
from app.web.h5 import in_wechat
from app.web.h5.session import current_openid

bp = Blueprint("verify", __name__)

API_CALLS = Rule("verify_api:ip", limit=60, window=60)  # per client IP per minute: it can look numbers up
MAX_API_BODY = 4096
JWKS_MAX_AGE = 300
SIGNIN_TRIED = "inspect_signin_tried"  # WeChat sign-in was tried in this browser: not again (app/web/inspection.py)


def inspector_url(marker: str, token: str) -> str:
    """The inspector view of a code (app/web/inspection.py); a WeChat browser is sent there once."""
    return f"/inspect/{marker}/{token}"


def tone(verdict: Verdict) -> str:
    """ok (green) / warn (orange: genuine but not usable, or an expired live code) / bad (red)."""
    if verdict.is_valid_now:
        return "ok"
    if verdict.outcome == EXPIRED_LIVE_CODE or (verdict.outcome == GENUINE and verdict.status is not None):
        return "warn"
    return "bad"


def _page(token: str, id_check: dict[str, str] | None = None, counted: bool = False, typed: str = "") -> Response:
    verdict = _verdict(token)
    if counted:
        _count(verdict, "page", request.referrer)
    shown_tone, headline = banner(tone(verdict), verdict.headline, (id_check or {}).get("result"))
    html = render_template("verify/page.html", verdict=verdict, tone=shown_tone, headline=headline,
                           status_tone=tone(verdict),
                           id_check=id_check, typed=typed, next_step=verdict.next_step,
                           official_domain=deps.settings().server.official_domain,
                           can_check_id=verdict.claims is not None and verdict.outcome == GENUINE)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the live status must never come from a cache
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _verdict(token: str) -> Verdict:
    """The verdict for the token in this request's path: /V/ is base32, /v/ base64url (docs/qr-format.md)."""
    marker = BASE32_SEGMENT if request.path.startswith("/V/") else BASE64URL_SEGMENT
    return deps.verifier().verify_token(token if len(token) <= MAX_TEXT_CHARS else "", marker)


def _count(verdict: Verdict, channel: str, referrer: str | None) -> None:
    """Count the verification for the dashboard (no personal data; never in the way of the answer)."""
    source = verification_stats.source_of(referrer, deps.verifier().our_hosts)
    deps.tally().count(verdict.outcome, channel, deps.clock().today(), source, public_id=verdict.public_id)


@bp.get("/v/<path:token>")
@bp.get("/V/<path:token>")
def page(token: str) -> Response | BaseResponse:
    """The verdict page for a scanned QR code (base64url under /v/, base32 under /V/).

    A bound inspector is sent to the inspector view; inside WeChat a visitor not yet signed in goes
    there once too (a silent snsapi_base sign-in), and comes back here unless they are an inspector.
    """
    if _inspector_may_be_here():
        marker = BASE32_SEGMENT if request.path.startswith("/V/") else BASE64URL_SEGMENT
        return redirect(inspector_url(marker, token))
    return _page(token, counted=True)


def _inspector_may_be_here() -> bool:
    openid = current_openid()
    if openid is None:
        return in_wechat() and not session.get(SIGNIN_TRIED) and request.args.get("signin") != "0"
    return inspector_binding.inspector_for(deps.db_session(), openid) is not None


@bp.post("/v/<path:token>")
@bp.post("/V/<path:token>")
def check_id_number(token: str) -> Response:
    """The inspector types the ID number from the holder's ID card: 一致 or 不一致 (no database).

    No CSRF token (/v/ is exempt in app/web/security.py): the answer is computed from the code
    itself, nothing is stored or changed and no session is involved, so a forged cross-site post
    could learn or do nothing. (With a token, Flask-WTF's https referrer check refused every post:
    the page sends no Referer, by design.)
    """
    verdict = _verdict(token)
    raw = request.form.get("id_number", "")[:40]
    if verdict.claims is None:
        return _page(token)
    try:
        number = normalize_id_number(raw)
    except IdNumberError as exc:
        return _page(token, {"tone": "bad", "text": f"号码格式不正确：{exc}"}, typed=raw)
    if id_number_matches(verdict.claims, number):
        return _page(token, {"tone": "ok", "text": "一致：身份证号码与证书持证人相符", "result": MATCH}, typed=raw)
    return _page(token, {"tone": "bad", "text": "不一致：身份证号码与证书持证人不符，请核实身份", "result": MISMATCH},
                 typed=raw)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The stable JSON form of a verdict (documented in docs/api.md)."""
    status = verdict.status
    return {
        "outcome": verdict.outcome,
        "genuine": verdict.is_genuine,
        "valid_now": verdict.is_valid_now,
        "headline": verdict.headline,
        "explanation": verdict.explanation,
        "checked_at": verdict.checked_at.isoformat(timespec="seconds"),
        "status": None if status is None else {"code": status.code.value, "label": status.label,
                                               "detail": status.detail, "is_valid": status.is_valid},
        "certificate": verdict.fields or None,
        "public_id": verdict.public_id,
        "version": verdict.version,
        "current_version": verdict.current_version,
        "kid": verdict.kid,
        "live_code_expires_at": verdict.expires_at.isoformat(timespec="seconds") if verdict.expires_at else None,
        "official_domain": deps.settings().server.official_domain,
        "notice": verdict.notice,
        "next_step": None if verdict.next_step is None else {
            "summary": verdict.next_step.summary, "action": verdict.next_step.action,
            "contact": verdict.next_step.contact, "phone": verdict.next_step.phone},
    }


def _api_error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


@bp.post("/api/verify")
@body_limit(MAX_API_BODY)
def api_verify() -> Any:
    """{"token": ...} or {"text": <the whole QR text>} -> the verdict as JSON; a bare certificate
    number is looked up only with {"name": <the holder's name>} too."""
    refused = ratelimit.check(deps.store(), deps.clock().now(), Hit(API_CALLS, request.remote_addr or "unknown"))
    if refused is not None:
        response, status = _api_error(429, "rate_limited", "请求过于频繁，请稍后再试")
        response.headers["Retry-After"] = str(refused.seconds)
        return response, status
    body = request.get_json(silent=True)
    value = body.get("token", body.get("text")) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        return _api_error(400, "bad_request", '请提交 JSON：{"token": "二维码内容或令牌"}')
    verdict = deps.verifier().verify_text(value)
    _count(verdict, "api", request.headers.get("Origin") or request.referrer)
    name = body.get("name") if isinstance(body, dict) else None
    if verdict.outcome == CERT_NUMBER and verdict.number and isinstance(name, str) and name.strip():
        return _number_and_name(verdict, verdict.number, name)
    return jsonify(verdict_json(verdict))


def _number_and_name(asked: Verdict, number: str, name: str) -> Any:
    """The holder's current certificates for a number + name, limited as 输入查询 is."""
    hit = lookup_limits.check(deps.store(), deps.pii(), deps.clock().now(), f"ip:{request.remote_addr}",
                              number.strip().upper(), name.strip()[:40])
    if hit is not None:
        response, status = _api_error(429, "rate_limited", lookup_limits.message(hit, deps.clock().now()))
        response.headers["Retry-After"] = str(math.ceil(hit.retry_after))
        return response, status
    try:
        found = deps.verifier().look_up_number(number, name[:40])
    except (IdNumberError, PersonNameError) as exc:
        return _api_error(400, "bad_request", exc.message)
    answer = verdict_json(found[0] if len(found) == 1 else asked)
    answer["certificates"] = [verdict_json(item) for item in found]
    if not found:
        answer.update(headline=texts.CERT_NUMBER_NO_MATCH_HEADLINE, explanation=texts.CERT_NUMBER_NO_MATCH)
    return jsonify(answer)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> Response | tuple[Response, int]:
    """413 before the view runs (app/web/bodylimit.py): the API's JSON error, the page's Chinese page."""
    if request.path.startswith("/api/"):
        return _api_error(413, "too_large", "请求内容过大")
    return render_error(413)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Public verification keys (RFC 8037 OKP/Ed25519); revoked keys under "revoked"."""
    response = jsonify(deps.signing_keys().jwks())
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/status-list")
def get_status_list() -> Any:
    """The signed status list (COSE_Sign1) for offline verifiers."""
    try:
        signer = deps.signing_keys().signer()
    except keyring.KeyringError:
        return _api_error(503, "no_signing_key", "签名密钥尚未配置")
    settings, store = deps.settings(), deps.store()
    data = status_list.cached(deps.db_session(), store, signer, settings.signing.issuer, deps.clock().now())
    left = store.ttl(rediskeys.status_list(signer.kid)) or status_list.CACHE_SECONDS
    response = Response(data, mimetype="application/cose")
    response.headers["Cache-Control"] = f"public, max-age={max(int(left), 1)}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
