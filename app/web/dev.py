"""Development tools (simulator and loopback fakes); registered only with [server] dev_tools.

With dev_tools off none of /dev/* is routed (404). With it on:
- /dev/fake-wechat/  the fake WeChat API + web authorisation (state: app.extensions["fake_wechat"])
- /dev/fake-faceid   the fake Tencent FaceID API and liveness page (app.extensions["fake_faceid"])
- /dev/simulator     a browser page that chats with this account as WeChat would: every action is
                     sent as real signed (and, in compat/safe mode, encrypted) XML to /wechat. The
                     openid typed there is who the H5 pages it opens sign in (/dev/simulator/open),
                     and the messages sent to it are shown as WeChat shows them; in development
                     they are kept in [server] dev_state_dir across restarts.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import xmltodict
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from wechatpy.crypto import WeChatCrypto
from werkzeug.wrappers import Response as BaseResponse

from app.config import Settings
from app.devtools.fake_faceid import FakeFaceIdState, create_fake_faceid_blueprint
from app.devtools.fake_wechat import SIGNED_IN_COOKIE, FakeWeChatState, create_fake_wechat_blueprint
from app.services.notify import template_fields
from app.web.bodylimit import body_limit
from app.web.h5.session import OPENID_KEY
from app.web.verify import SIGNIN_TRIED
from menus import build_menu

DEFAULT_OPENID = "o-simulator-0001"
ACCOUNT = "gh_simulator"
MAX_QR_BYTES = 5 * 1024 * 1024
FAKE_WECHAT_AT = "/dev/fake-wechat"
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_sequence = itertools.count(int(time.time()))

bp = Blueprint("simulator", __name__, url_prefix="/dev/simulator")


def register(app: Flask) -> None:
    """Mount the fakes (one state per app, readable by tests) and the simulator."""
    settings: Settings = app.config["SETTINGS"]
    wechat_state = FakeWeChatState(app_id=settings.wechat.app_id, app_secret=settings.wechat.app_secret,
                                   current_openid=DEFAULT_OPENID, template_fields=template_fields(settings),
                                   saved_to=_saved_state(settings))
    faceid_state = FakeFaceIdState(secret_id=settings.faceid.secret_id, secret_key=settings.faceid.secret_key)
    app.extensions["fake_wechat"] = wechat_state
    app.extensions["fake_faceid"] = faceid_state
    app.register_blueprint(create_fake_wechat_blueprint(wechat_state), url_prefix=FAKE_WECHAT_AT)
    app.register_blueprint(create_fake_faceid_blueprint(faceid_state), url_prefix="/dev/fake-faceid")
    app.register_blueprint(bp)


def _saved_state(settings: Settings) -> Path | None:
    """Where the fake WeChat keeps its messages: only for the development server (tests stay in memory)."""
    folder = settings.server.dev_state_dir
    return Path(folder) / "fake-wechat.json" if settings.server.env == "development" and folder else None


@bp.get("")
def page() -> str:
    """The chat page, showing the real menu from menus/."""
    settings: Settings = current_app.config["SETTINGS"]
    menu = build_menu(settings.server.base_url)
    return render_template("dev/simulator.html", menu=menu["button"], openid=DEFAULT_OPENID,
                           mode=settings.wechat.message_mode)


@bp.post("/send")
def send() -> Response | tuple[Response, int]:
    """Turn one simulator action into a real push to /wechat and return the decoded reply."""
    data = request.get_json(silent=True) or {}
    openid = str(data.get("openid") or DEFAULT_OPENID)[:64]
    try:
        msg_type, fields = _action(data)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    body = _xml(openid, msg_type, fields)
    status, answer = _post(current_app.config["SETTINGS"], body)
    return jsonify(status=status, replies=_replies(current_app.config["SETTINGS"], answer))


@bp.get("/open")
def open_as_user() -> BaseResponse:
    """Open one of our pages as the simulator's user, as WeChat's browser would: H5 pages sign in
    afresh through the fake authorisation page, which signs in the openid kept in its cookie."""
    openid, target = request.args.get("openid", ""), urlsplit(request.args.get("next", ""))
    path = target.path + (f"?{target.query}" if target.query else "")
    # Only a path on this site: another host's name is dropped, and "/\\host" (a browser reads "//host") refused.
    if not _OPENID.fullmatch(openid) or not path.startswith("/") or path.startswith("//") or "\\" in path:
        abort(400)
    session.pop(OPENID_KEY, None)  # whoever this browser was signed in as before
    session.pop(SIGNIN_TRIED, None)
    # The cookie is per browser; the fallback serves a browser that reaches the fake on another host name.
    current_app.extensions["fake_wechat"].set_current_openid(openid)
    where = url_for("h5.my", dev="1", next=path) if path.startswith("/h5/") else path
    if path.startswith(("/v/", "/V/")):  # WeChat's browser: the silent sign-in that spots an inspector
        where = "/inspect" + path
    response = redirect(where)
    response.set_cookie(SIGNED_IN_COOKIE, openid, path=FAKE_WECHAT_AT, httponly=True, samesite="Lax")
    return response


@bp.post("/decode")
@body_limit(MAX_QR_BYTES + 64 * 1024)  # the image and its multipart wrapping
def decode_qr() -> Response | tuple[Response, int]:
    """Read the QR code in an uploaded image (zxing-cpp) so it can be 'scanned'."""
    upload = request.files.get("image")
    data = upload.read(MAX_QR_BYTES + 1) if upload else b""
    if not data or len(data) > MAX_QR_BYTES:
        return jsonify(error="请选择不超过5MB的二维码图片"), 400
    text = _read_qr(data)
    return (jsonify(text=text) if text is not None else (jsonify(error="图片中未识别到二维码"), 400))


def _read_qr(data: bytes) -> str | None:
    """The first barcode's text, or None (also for files that are not images)."""
    import io

    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    found = zxingcpp.read_barcodes(image.convert("L"))
    return found[0].text if found else None


def _action(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(MsgType, fields) for a simulator action, as WeChat's client would produce them."""
    kind = data.get("kind")
    if kind == "text":
        return "text", {"Content": str(data.get("content", ""))[:2000], "MsgId": str(next(_sequence))}
    if kind in ("click", "view"):
        return "event", {"Event": kind.upper(), "EventKey": str(data.get("key", ""))}
    if kind == "scan":
        info = {"ScanType": "qrcode", "ScanResult": str(data.get("content", ""))[:4000]}
        key = str(data.get("key", ""))
        return "event", {"Event": "scancode_waitmsg", "EventKey": key, "ScanCodeInfo": info}
    if kind in ("subscribe", "unsubscribe"):
        return "event", {"Event": kind}
    raise ValueError("unknown action")


def _xml(openid: str, msg_type: str, fields: dict[str, Any]) -> str:
    head = {"ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": str(next(_sequence)),
            "MsgType": msg_type}
    return str(xmltodict.unparse({"xml": {**head, **fields}}, full_document=False))


def _post(settings: Settings, body: str) -> tuple[int, bytes]:
    """Sign and (unless plain) encrypt like WeChat, then post to this app's /wechat in-process."""
    w = settings.wechat
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {"signature": hashlib.sha1("".join(sorted([w.token, timestamp, nonce])).encode()).hexdigest(),  # noqa: S324
             "timestamp": timestamp, "nonce": nonce}
    payload = body
    if w.message_mode != "plain":
        envelope = xmltodict.parse(_crypto(settings).encrypt_message(body, nonce, timestamp))["xml"]
        payload = xmltodict.unparse({"xml": {"ToUserName": ACCOUNT, "Encrypt": envelope["Encrypt"]}},
                                    full_document=False)
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
    res = current_app.test_client().post("/wechat", query_string=query, data=payload.encode(),
                                         content_type="text/xml")
    return res.status_code, res.get_data()


def _crypto(settings: Settings) -> WeChatCrypto:
    return WeChatCrypto(settings.wechat.token, settings.wechat.encoding_aes_key, settings.wechat.app_id)


def _replies(settings: Settings, answer: bytes) -> list[dict[str, Any]]:
    """The reply as the chat shows it: text or one news article (nothing for "success")."""
    if answer.strip() in (b"", b"success") or not answer.lstrip().startswith(b"<"):
        return []
    data = xmltodict.parse(answer.decode())["xml"]
    if "Encrypt" in data:
        plain = _crypto(settings).decrypt_message(answer.decode(), data["MsgSignature"], data["TimeStamp"],
                                                  data["Nonce"])
        data = xmltodict.parse(plain)["xml"]
    if data.get("MsgType") == "news":
        item = (data.get("Articles") or {}).get("item") or {}
        item = item[0] if isinstance(item, list) else item
        return [{"type": "news", "title": item.get("Title", ""), "description": item.get("Description", ""),
                 "url": item.get("Url", "")}]
    return [{"type": "text", "content": data.get("Content") or ""}]
