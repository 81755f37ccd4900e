"""A fake WeChat API + web-authorisation server speaking the real protocol (development and tests).

Mount `create_fake_wechat_blueprint(state)` inside the dev app (e.g. at /dev/fake-wechat) or serve
`create_fake_wechat_app(state)` on a loopback port with `app.devtools.loopback.serve_in_thread`.
It is stricter than WeChat in one way: a new /cgi-bin/token invalidates the previous token at once
(WeChat keeps the old one valid for 5 minutes), so tests catch processes that refresh on their own.
State is in memory (thread-safe): fine for tests and the single-process dev server. With `saved_to`
the messages and the menu are also kept in a JSON file and read back at start (the dev server).
"""

from __future__ import annotations

import functools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, jsonify, request

from app.devtools import saved_state

OAUTH_CODE_TTL = 300  # a web-authorisation code is valid for 5 minutes and once
TEMPLATE_VALUE_MAX = 20
SAVED_MESSAGES = 1000  # the newest messages kept in the saved state
# Set by the simulator (path = where the fake is mounted): who its authorisation page signs in.
SIGNED_IN_COOKIE = "fake_wechat_openid"
ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40016: "invalid button size",
    40018: "invalid button name size",
    40023: "invalid sub button size",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    42001: "access_token expired",
    44002: "empty post data",
    45015: "response out of time limit or subscription is canceled",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid! data value exceeds 20 characters",
}
Fault = str | int  # "timeout", "500" or a WeChat errcode


@dataclass
class SentMessage:
    """A customer-service or template message the app sent."""

    kind: str  # "text" | "template"
    openid: str
    payload: dict[str, Any]
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "openid": self.openid, "payload": self.payload, "at": self.at}


@dataclass
class FakeWeChatState:
    """Everything the fake knows; tests read and steer it directly. All methods are thread-safe."""

    app_id: str = "wxdevelopment0000"
    app_secret: str = "dev-app-secret"  # noqa: S105 - the development default of [wechat]
    clock: Callable[[], float] = time.time
    token_expires_in: int = 7200
    hang_seconds: float = 10.0  # how long a "timeout" fault sleeps before answering
    current_openid: str | None = "o-dev-worker-0001"
    template_ids: set[str] | None = None  # None: any template id is accepted
    token_fetches: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    messages: list[SentMessage] = field(default_factory=list)
    menu: dict[str, Any] | None = None
    closed_windows: set[str] = field(default_factory=set)  # openids outside the 48-hour window
    # Template id -> its fields' names, as the WeChat console shows them (the fake's user sets them).
    template_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    saved_to: Path | None = None  # a JSON file the messages and the menu are kept in (development)
    _token: str | None = field(default=None, init=False, repr=False)
    _token_expires_at: float = field(default=0.0, init=False, repr=False)
    _codes: dict[str, tuple[str, str, float]] = field(default_factory=dict, init=False, repr=False)
    _used_codes: set[str] = field(default_factory=set, init=False, repr=False)
    _faults: dict[str, list[Fault]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.saved_to is not None:
            saved = saved_state.load(self.saved_to)
            self.messages = [SentMessage(**m) for m in saved.get("messages", []) if isinstance(m, dict)]
            self.menu = saved.get("menu")

    def _save(self) -> None:
        """Keep messages and menu in `saved_to`, if set (called under the lock)."""
        if self.saved_to is not None:
            self.messages = self.messages[-SAVED_MESSAGES:]
            saved_state.save(self.saved_to, {"messages": [asdict(m) for m in self.messages], "menu": self.menu})

    # ---- access tokens ------------------------------------------------------------------------

    def issue_token(self, reuse: bool) -> tuple[str, int]:
        """A token fetch; `reuse` (stable_token normal mode) returns the current one if still valid."""
        with self._lock:
            self.token_fetches += 1
            now = self.clock()
            if not (reuse and self._token and self._token_expires_at > now):
                self._token = "FAKE-AT-" + secrets.token_hex(12)
                self._token_expires_at = now + self.token_expires_in
            return self._token, int(self._token_expires_at - now)

    def token_error(self, token: str | None) -> int:
        """0 when `token` is the current valid token, else 41001, 42001 or 40001."""
        with self._lock:
            if not token:
                return 41001
            if token != self._token:
                return 40001
            return 42001 if self._token_expires_at <= self.clock() else 0

    def invalidate_token(self) -> None:
        """Make the current token invalid (40001), as when someone else refreshed it."""
        with self._lock:
            self._token = None

    def expire_token(self) -> None:
        """Make the current token expired (42001)."""
        with self._lock:
            self._token_expires_at = self.clock() - 1

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(self, path: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` requests to `path` (e.g. "/cgi-bin/menu/get") time out, 500 or errcode."""
        with self._lock:
            self._faults.setdefault(path, []).extend([fault] * times)

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            self.calls[path] = self.calls.get(path, 0) + 1
            queue = self._faults.get(path)
            return queue.pop(0) if queue else None

    # ---- messages -----------------------------------------------------------------------------

    def record(self, kind: str, openid: str, payload: dict[str, Any]) -> int:
        """Keep a sent message; returns its msgid."""
        with self._lock:
            self.messages.append(SentMessage(kind, openid, payload, self.clock()))
            self._save()
            return len(self.messages)

    def set_menu(self, menu: dict[str, Any] | None) -> None:
        with self._lock:
            self.menu = menu
            self._save()

    def labelled(self, message: SentMessage) -> list[tuple[str, str]]:
        """A template message's fields as (name in the template, value), in the order sent."""
        names = self.template_fields.get(str(message.payload.get("template_id")), {})
        data = message.payload.get("data") or {}
        return [(names.get(key, key), str(item.get("value", ""))) for key, item in data.items()
                if isinstance(item, dict)]

    def messages_for(self, openid: str | None = None) -> list[SentMessage]:
        """Messages sent, oldest first, optionally only those to one openid."""
        with self._lock:
            return [m for m in self.messages if openid is None or m.openid == openid]

    # ---- web authorisation --------------------------------------------------------------------

    def set_current_openid(self, openid: str | None) -> None:
        """The user /connect/oauth2/authorize signs in (None: nobody, the page refuses)."""
        with self._lock:
            self.current_openid = openid

    def issue_code(self, openid: str, scope: str) -> str:
        with self._lock:
            code = "FAKE-CODE-" + secrets.token_hex(8)
            self._codes[code] = (openid, scope, self.clock() + OAUTH_CODE_TTL)
            return code

    def redeem_code(self, code: str) -> tuple[str, str] | int:
        """(openid, scope) for a fresh code, else 40163 (used) or 40029 (unknown/expired)."""
        with self._lock:
            if code in self._used_codes:
                return 40163
            entry = self._codes.pop(code, None)
            if entry is None or entry[2] <= self.clock():
                return 40029
            self._used_codes.add(code)
            return entry[0], entry[1]


def _error(errcode: int) -> Response:
    return jsonify({"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error")})


def _ok(**extra: Any) -> Response:
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def _body() -> dict[str, Any] | None:
    """WeChat reads the raw body as JSON whatever the Content-Type (wechatpy sends none)."""
    try:
        data = json.loads(request.get_data() or b"null")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


View = Callable[[], Response]


def _with_faults(state: FakeWeChatState, path: str) -> Callable[[View], View]:
    """Apply a queued fault (hang, HTTP 500, errcode) before the real handler."""
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper() -> Response:
            fault = state.take_fault(path)
            if fault == "timeout":
                time.sleep(state.hang_seconds)
            elif fault == "500":
                return Response("system error", status=500, content_type="text/plain")
            elif isinstance(fault, int):
                return _error(fault)
            return view()
        return wrapper
    return decorate


def _check_credentials(state: FakeWeChatState, appid: Any, secret: Any) -> int:
    if appid != state.app_id:
        return 40013
    return 0 if secret == state.app_secret else 40125


def _check_token(state: FakeWeChatState) -> int:
    return state.token_error(request.args.get("access_token"))


def _menu_error(menu: dict[str, Any] | None) -> int:
    """WeChat's menu limits: 1-3 buttons, up to 5 sub-buttons, names up to 16 (sub 60) bytes."""
    buttons = menu.get("button") if menu else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return 40016
    for button in buttons:
        subs = button.get("sub_button") or []
        if len(subs) > 5:
            return 40023
        if len(str(button.get("name", "")).encode()) > 16:
            return 40018
        if any(len(str(s.get("name", "")).encode()) > 60 for s in subs):
            return 40018
    return 0


def _template_error(state: FakeWeChatState, body: dict[str, Any]) -> int:
    if not body.get("touser") or not isinstance(body.get("data"), dict):
        return 47001
    if state.template_ids is not None and body.get("template_id") not in state.template_ids:
        return 40037
    for item in body["data"].values():
        if not isinstance(item, dict) or len(str(item.get("value", ""))) > TEMPLATE_VALUE_MAX:
            return 47003
    return 0


def create_fake_wechat_blueprint(state: FakeWeChatState, name: str = "fake_wechat") -> Blueprint:
    """Routes of api.weixin.qq.com and open.weixin.qq.com that this project uses, plus /dev-api."""
    bp = Blueprint(name, __name__)
    faults = functools.partial(_with_faults, state)

    @bp.get("/cgi-bin/token")
    @faults("/cgi-bin/token")
    def token() -> Response:
        if request.args.get("grant_type") != "client_credential":
            return _error(40002)
        if err := _check_credentials(state, request.args.get("appid"), request.args.get("secret")):
            return _error(err)
        access_token, expires_in = state.issue_token(reuse=False)
        return jsonify({"access_token": access_token, "expires_in": expires_in})

    @bp.post("/cgi-bin/stable_token")
    @faults("/cgi-bin/stable_token")
    def stable_token() -> Response:
        body = _body() or {}
        if body.get("grant_type") != "client_credential":
            return _error(40002)
        if err := _check_credentials(state, body.get("appid"), body.get("secret")):
            return _error(err)
        access_token, expires_in = state.issue_token(reuse=not body.get("force_refresh", False))
        return jsonify({"access_token": access_token, "expires_in": expires_in})

    @bp.post("/cgi-bin/message/custom/send")
    @faults("/cgi-bin/message/custom/send")
    def custom_send() -> Response:
        if err := _check_token(state):
            return _error(err)
        body = _body()
        if not body or not body.get("touser") or not body.get("msgtype"):
            return _error(44002 if body is None else 47001)
        if body["touser"] in state.closed_windows:
            return _error(45015)
        state.record(str(body["msgtype"]), str(body["touser"]), body)
        return _ok()

    @bp.post("/cgi-bin/message/template/send")
    @faults("/cgi-bin/message/template/send")
    def template_send() -> Response:
        if err := _check_token(state):
            return _error(err)
        body = _body()
        if body is None:
            return _error(44002)
        if err := _template_error(state, body):
            return _error(err)
        return _ok(msgid=state.record("template", str(body["touser"]), body))

    @bp.post("/cgi-bin/menu/create")
    @faults("/cgi-bin/menu/create")
    def menu_create() -> Response:
        if err := _check_token(state):
            return _error(err)
        body = _body()
        if err := _menu_error(body):
            return _error(err)
        state.set_menu(body)
        return _ok()

    @bp.get("/cgi-bin/menu/get")
    @faults("/cgi-bin/menu/get")
    def menu_get() -> Response:
        if err := _check_token(state):
            return _error(err)
        return jsonify({"menu": state.menu}) if state.menu else _error(46003)

    @bp.get("/cgi-bin/menu/delete")
    @faults("/cgi-bin/menu/delete")
    def menu_delete() -> Response:
        if err := _check_token(state):
            return _error(err)
        state.set_menu(None)
        return _ok()

    @bp.get("/connect/oauth2/authorize")
    @faults("/connect/oauth2/authorize")
    def authorize() -> Response:
        # The `#wechat_redirect` fragment never reaches a server; WeChat requires it on the link only.
        args = request.args
        scope = args.get("scope", "")
        if args.get("appid") != state.app_id:
            return _error(40013)
        if args.get("response_type") != "code" or scope not in ("snsapi_base", "snsapi_userinfo"):
            return Response("scope or response_type invalid", status=400, content_type="text/plain")
        # The simulator's openid (its cookie) when it opened this page, else the one tests choose.
        openid = request.cookies.get(SIGNED_IN_COOKIE) or state.current_openid
        target = args.get("redirect_uri", "")
        if not openid or not target:
            return Response("no test user signed in", status=403, content_type="text/plain")
        query = urlencode({"code": state.issue_code(openid, scope), "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{target}{'&' if '?' in target else '?'}{query}"})

    @bp.get("/sns/oauth2/access_token")
    @faults("/sns/oauth2/access_token")
    def oauth_access_token() -> Response:
        args = request.args
        if args.get("grant_type") != "authorization_code":
            return _error(40002)
        if err := _check_credentials(state, args.get("appid"), args.get("secret")):
            return _error(err)
        redeemed = state.redeem_code(args.get("code", ""))
        if isinstance(redeemed, int):
            return _error(redeemed)
        openid, scope = redeemed
        return jsonify({"access_token": "FAKE-WEB-AT-" + secrets.token_hex(8), "expires_in": 7200,
                        "refresh_token": "FAKE-RT-" + secrets.token_hex(8), "openid": openid, "scope": scope})

    @bp.get("/dev-api/messages")
    def dev_messages() -> Response:
        """For the simulator page: messages sent to one openid (or all)."""
        sent = state.messages_for(request.args.get("openid") or None)
        return jsonify({"messages": [{**m.as_dict(), "fields": state.labelled(m)} for m in sent]})

    @bp.post("/dev-api/current-openid")
    def dev_current_openid() -> Response:
        """For the simulator: choose who the fake authorisation page signs in."""
        openid = (_body() or {}).get("openid") or request.form.get("openid")
        state.set_current_openid(str(openid) if openid else None)
        return jsonify({"current_openid": state.current_openid})

    return bp


def create_fake_wechat_app(state: FakeWeChatState) -> Flask:
    """A standalone app serving the fake at "/" (for serve_in_thread in tests)."""
    app = Flask(__name__)
    app.register_blueprint(create_fake_wechat_blueprint(state))
    return app
