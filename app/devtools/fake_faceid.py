"""A fake Tencent Cloud FaceID server speaking API 3.0 as the real SDK sends it (development and tests).

The SDK POSTs JSON to "{scheme}://{endpoint}" with X-TC-Action/X-TC-Version and a TC3-HMAC-SHA256
Authorization header; it needs HTTP 200, Content-Type exactly `application/json` (with a charset it
silently ignores errors) and always a RequestId. The SDK sends no path of its own, so the API answers
at the blueprint root: serve `create_fake_faceid_app(state)` standalone (endpoint "127.0.0.1:PORT") or
mount the blueprint at /dev/fake-faceid (endpoint "127.0.0.1:5000/dev/fake-faceid"; the SDK then
signs that whole string as Host, which the signature check below reproduces).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request, url_for

API_VERSION = "2018-03-01"
SERVICE = "faceid"
BIZ_TOKEN_TTL = 7200  # DetectAuth's BizToken can be used for 7,200 s
RESULT_TTL = 3 * 24 * 3600  # results can be fetched for 3 days
SIGNATURE_MAX_SKEW = 300
_AUTH_RE = re.compile(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, "
                      r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$")


@dataclass(frozen=True)
class Outcome:
    """What GetDetectInfoEnhanced reports for one verification."""

    err_code: int
    err_msg: str
    live_status: int | None = None
    compare_status: int | None = None
    sim: str | None = None
    id_card: str | None = None  # set to report an IdCard other than the one passed (substitution)
    name: str | None = None
    delay: float = 0.0  # seconds GetDetectInfoEnhanced waits before answering (timeout tests)
    completes: bool = True  # False: the user never finished (ErrCode 17)


OUTCOMES: dict[str, Outcome] = {
    "pass": Outcome(0, "成功", 0, 0, "92.5"),
    "liveness_failed": Outcome(1001, "活体检测未通过", 1001),
    "spoof_suspected": Outcome(1002, "疑似非真人录制", 1002),
    "low_similarity": Outcome(2016, "比对相似度未达到通过标准", 0, 2016, "45.1"),
    "name_id_mismatch": Outcome(2006, "姓名和身份证号不一致", 0, 2006),
    "no_identity": Outcome(2005, "库中无此号，请到户籍所在地进行核实", 0, 2005),
    "no_photo": Outcome(2008, "库中无此用户照片，请到户籍所在地进行核实", 0, 2008),
    "expired": Outcome(15, "身份验证token已失效", None, None),
    "not_finished": Outcome(17, "验证未完成", None, None, completes=False),
    "too_many_today": Outcome(2018, "今日验证次数超限", None, None),
    "substituted": Outcome(0, "成功", 0, 0, "92.5", id_card="440524188001010014", name="李四"),
}
PAGE_BUTTONS = [("pass", "通过"), ("liveness_failed", "活体失败"), ("low_similarity", "比对不通过"),
                ("name_id_mismatch", "姓名与身份证号不一致"), ("no_photo", "库中无照片"),
                ("too_many_today", "今日次数超限")]
Fault = str | tuple[str, str]  # "timeout", "500" or (Code, Message)


def liveness_failure(code: int) -> Outcome:
    """One of the liveness failures 1001-1008."""
    return Outcome(code, "活体检测未通过", code)


@dataclass
class Attempt:
    """One DetectAuth call and, once the user finished, its outcome."""

    rule_id: str
    id_card: str
    name: str
    redirect_url: str
    extra: str | None
    created_at: float
    outcome: Outcome | None = None


@dataclass
class FakeFaceIdState:
    """Everything the fake knows; tests read and steer it directly. Thread-safe."""

    secret_id: str = "dev-secret-id"  # noqa: S105 - the development default of [faceid]
    secret_key: str = "dev-secret-key"  # noqa: S105
    clock: Callable[[], float] = time.time
    public_base: str | None = None  # where the liveness page is reached; None: derived from the request
    hang_seconds: float = 10.0
    verify_signature: bool = True
    attempts: dict[str, Attempt] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _scripts: dict[str, Outcome] = field(default_factory=dict, init=False, repr=False)
    _faults: dict[str, list[Fault]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    def script(self, id_number: str, outcome: str | Outcome, delay: float = 0.0) -> None:
        """Decide now what verifying `id_number` will give; the liveness page then completes at once."""
        chosen = OUTCOMES[outcome] if isinstance(outcome, str) else outcome
        with self._lock:
            self._scripts[id_number] = replace(chosen, delay=delay or chosen.delay)

    def scripted(self, id_number: str) -> Outcome | None:
        with self._lock:
            return self._scripts.get(id_number)

    def fail_next(self, action: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` calls of `action` hang, answer HTTP 500, or return an API error."""
        with self._lock:
            self._faults.setdefault(action, []).extend([fault] * times)

    def take_fault(self, action: str) -> Fault | None:
        with self._lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            queue = self._faults.get(action)
            return queue.pop(0) if queue else None

    def new_attempt(self, attempt: Attempt) -> str:
        with self._lock:
            token = str(uuid.uuid4()).upper()
            self.attempts[token] = attempt
            return token

    def complete(self, biz_token: str, outcome: str | Outcome) -> Attempt | None:
        """Record the user's outcome (the liveness page calls this); None if unknown or expired."""
        chosen = OUTCOMES[outcome] if isinstance(outcome, str) else outcome
        with self._lock:
            attempt = self.attempts.get(biz_token)
            if attempt is None or self.clock() - attempt.created_at > BIZ_TOKEN_TTL:
                return None
            if attempt.outcome is None and chosen.completes:
                attempt.outcome = chosen
            return attempt


def _response(payload: dict[str, Any]) -> Response:
    """Always HTTP 200, Content-Type exactly application/json, always a RequestId."""
    body = json.dumps({"Response": {**payload, "RequestId": str(uuid.uuid4())}}, ensure_ascii=False)
    return Response(body, status=200, content_type="application/json")


def _error(code: str, message: str) -> Response:
    return _response({"Error": {"Code": code, "Message": message}})


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, timestamp: str, host: str, content_type: str,
                  payload: bytes) -> str:
    """Tencent Cloud API 3.0 signature (TC3-HMAC-SHA256) of a POST to "/" with signed content-type;host."""
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n",
                           "content-type;host", hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _auth_error(state: FakeFaceIdState) -> tuple[str, str] | None:
    """Check the Authorization header like Tencent does; None when it is good."""
    match = _AUTH_RE.match(request.headers.get("Authorization", ""))
    if not match:
        return "AuthFailure.InvalidAuthorization", "Authorization header is missing or malformed"
    secret_id, date, _service, signature = match.groups()
    if secret_id != state.secret_id:
        return "AuthFailure.SecretIdNotFound", "The SecretId is not found"
    timestamp = request.headers.get("X-TC-Timestamp", "0")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_MAX_SKEW:
        return "AuthFailure.SignatureExpire", "Signature expired"
    if state.verify_signature:
        expected = tc3_signature(state.secret_key, date, timestamp, request.headers.get("Host", ""),
                                 request.headers.get("Content-Type", ""), request.get_data())
        if not hmac.compare_digest(expected, signature):
            return "AuthFailure.SignatureFailure", "The provided credentials could not be validated"
    return None


def _apply_fault(state: FakeFaceIdState, action: str) -> Response | None:
    fault = state.take_fault(action)
    if fault == "timeout":
        time.sleep(state.hang_seconds)
    elif fault == "500":
        return Response("internal error", status=500, content_type="text/plain")
    elif isinstance(fault, tuple):
        return _error(*fault)
    return None


def _liveness_url(state: FakeFaceIdState, token: str) -> str:
    path = url_for(".liveness", token=token)
    if state.public_base:
        return state.public_base.rstrip("/") + "/liveness?" + urlencode({"token": token})
    # The SDK's Host holds a path when its endpoint has one ("127.0.0.1:5000/dev/fake-faceid"), and
    # werkzeug then reports request.host as empty: read the raw header and keep the host:port part.
    host = request.headers.get("Host", "").split("/")[0] or request.environ.get("SERVER_NAME", "")
    return f"{request.scheme}://{host}{path}"


def _detect_auth(state: FakeFaceIdState, params: dict[str, Any]) -> Response:
    """DetectAuth: record the attempt, answer Url + BizToken."""
    if not params.get("RuleId"):
        return _error("MissingParameter", "The request is missing a required parameter `RuleId`.")
    if bool(params.get("IdCard")) != bool(params.get("Name")):
        return _error("InvalidParameter", "IdCard and Name must be passed together.")
    attempt = Attempt(str(params["RuleId"]), str(params.get("IdCard", "")), str(params.get("Name", "")),
                      str(params.get("RedirectUrl", "")), params.get("Extra"), state.clock())
    token = state.new_attempt(attempt)
    return _response({"Url": _liveness_url(state, token), "BizToken": token})


def _text(attempt: Attempt, now: float) -> dict[str, Any]:
    """The DetectInfoText of an attempt, as Tencent reports it (null fields included)."""
    outcome = attempt.outcome
    if outcome is None:
        expired = now - attempt.created_at > BIZ_TOKEN_TTL
        outcome = OUTCOMES["expired"] if expired else OUTCOMES["not_finished"]
    live, compare = outcome.live_status, outcome.compare_status
    return {"ErrCode": outcome.err_code, "ErrMsg": outcome.err_msg,
            "IdCard": outcome.id_card or attempt.id_card or None,
            "Name": outcome.name or attempt.name or None,
            "LiveStatus": live, "LiveMsg": None if live is None else outcome.err_msg,
            "Comparestatus": compare, "Comparemsg": None if compare is None else outcome.err_msg,
            "Sim": outcome.sim, "Extra": attempt.extra, "Location": None, "Mobile": ""}


def _get_detect_info(state: FakeFaceIdState, params: dict[str, Any]) -> Response:
    """GetDetectInfoEnhanced: the text result (InfoType 1) for a BizToken of the last 3 days."""
    attempt = state.attempts.get(str(params.get("BizToken", "")))
    if attempt is None:
        return _error("InvalidParameterValue.BizTokenIllegal", "BizToken不合法")
    now = state.clock()
    if now - attempt.created_at > RESULT_TTL:
        return _error("InvalidParameterValue.BizTokenExpired", "BizToken过期")
    if attempt.rule_id != str(params.get("RuleId", "")):
        return _error("InvalidParameterValue.RuleIdNotExist", "RuleId与BizToken不匹配")
    scripted = state.scripted(attempt.id_card)
    delay = attempt.outcome.delay if attempt.outcome else (scripted.delay if scripted else 0.0)
    if delay:
        time.sleep(delay)
    return _response({"Text": _text(attempt, now), "IdCardData": None, "BestFrame": None,
                      "VideoData": None, "Encryption": None, "IntentionVerifyData": None,
                      "IntentionQuestionResult": None, "IntentionActionResult": None})


ACTIONS: dict[str, Callable[[FakeFaceIdState, dict[str, Any]], Response]] = {
    "DetectAuth": _detect_auth, "GetDetectInfoEnhanced": _get_detect_info}

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>人脸核身（模拟）</title></head>
<body><h1>人脸核身（模拟）</h1><p>开发环境的模拟页面：请选择核身结果。</p>
<form method="post">{buttons}</form></body></html>"""


def _page(token: str) -> str:
    buttons = "".join(f'<p><button name="outcome" value="{key}">{html.escape(label)}</button></p>'
                      for key, label in PAGE_BUTTONS)
    return PAGE.format(buttons=buttons + f'<input type="hidden" name="token" value="{html.escape(token)}">')


def _back_to_service(attempt: Attempt, token: str) -> Response:
    """Return to RedirectUrl with BizToken appended, as Tencent does (the service must not trust it)."""
    if not attempt.redirect_url:
        return Response("核身已完成，请返回。", content_type="text/plain; charset=utf-8")
    sep = "&" if "?" in attempt.redirect_url else "?"
    location = f"{attempt.redirect_url}{sep}{urlencode({'BizToken': token})}"
    return Response(status=302, headers={"Location": location})


def create_fake_faceid_blueprint(state: FakeFaceIdState, name: str = "fake_faceid") -> Blueprint:
    """The API 3.0 endpoint at the blueprint root plus the fake liveness page at /liveness."""
    bp = Blueprint(name, __name__)

    @bp.route("/", methods=["POST"], strict_slashes=False)
    def api() -> Response:
        action = request.headers.get("X-TC-Action", "")
        if (fault := _apply_fault(state, action)) is not None:
            return fault
        if (auth := _auth_error(state)) is not None:
            return _error(*auth)
        if request.headers.get("X-TC-Version") != API_VERSION:
            return _error("NoSuchVersion", "The requested version does not exist.")
        handler = ACTIONS.get(action)
        if handler is None:
            return _error("InvalidAction", f"The action `{action}` is not supported.")
        try:
            params = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _error("InvalidParameter", "The body is not JSON.")
        return handler(state, params if isinstance(params, dict) else {})

    @bp.route("/liveness", methods=["GET", "POST"])
    def liveness() -> Response | str:
        token = request.values.get("token", "")
        attempt = state.attempts.get(token)
        if attempt is None:
            return Response("链接无效或已过期", status=404, content_type="text/plain; charset=utf-8")
        chosen: str | Outcome | None = request.form.get("outcome") if request.method == "POST" else None
        chosen = chosen if chosen in OUTCOMES else state.scripted(attempt.id_card)
        if chosen is None:
            return _page(token)
        if state.complete(token, chosen) is None:
            return Response("核身链接已失效", status=410, content_type="text/plain; charset=utf-8")
        return _back_to_service(attempt, token)

    return bp


def create_fake_faceid_app(state: FakeFaceIdState) -> Flask:
    """A standalone app serving the fake at "/" (for serve_in_thread in tests)."""
    app = Flask(__name__)
    app.register_blueprint(create_fake_faceid_blueprint(state))
    return app
