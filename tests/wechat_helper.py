"""Play the WeChat server: build, sign, encrypt and post pushes to the app, then decrypt the answer.

    wechat = WeChatServer(client, settings)          # a FlaskClient, or a base URL string
    reply = wechat.send_text("o-worker", "11010519491231002X 张三")
    assert "有效" in reply.text

Signatures are computed here independently of the app's code (sha1 of the sorted parts); encryption
uses wechatpy's WeChatCrypto like WeChat's own SDKs. The mode follows settings.wechat.message_mode
unless given: plain posts raw XML, compat posts plaintext fields plus Encrypt, safe only Encrypt.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import xmltodict
from flask.testing import FlaskClient
from wechatpy.crypto import WeChatCrypto

from app.config import Settings

ACCOUNT = "gh_test_account"
_sequence = itertools.count(int(time.time()))


def sign(*parts: str) -> str:
    """WeChat's signature over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's protocol


@dataclass
class Reply:
    """What the app answered, decrypted when it came encrypted."""

    status: int
    body: bytes
    xml: dict[str, Any] | None = None
    envelope: dict[str, Any] | None = None  # the encrypted envelope, when there was one

    @property
    def is_success(self) -> bool:
        """WeChat's "nothing to say" answer."""
        return self.status == 200 and self.body.strip() in (b"success", b"")

    @property
    def msg_type(self) -> str:
        return str((self.xml or {}).get("MsgType", ""))

    @property
    def text(self) -> str:
        """The text reply's Content ("" for anything else)."""
        return str((self.xml or {}).get("Content") or "")

    @property
    def articles(self) -> list[dict[str, Any]]:
        items = ((self.xml or {}).get("Articles") or {}).get("item") or []
        return items if isinstance(items, list) else [items]


@dataclass
class WeChatServer:
    """Sends pushes to one app as WeChat would; `mode` defaults to the app's message_mode."""

    target: FlaskClient | str
    settings: Settings
    mode: str | None = None
    account: str = ACCOUNT
    path: str = "/wechat"
    sent: list[str] = field(default_factory=list)
    last: tuple[dict[str, str], bytes] | None = None  # the query and body of the latest push, for replays
    timeout: float = 10.0  # seconds to wait for an answer over HTTP (WeChat itself waits 5)

    @property
    def _mode(self) -> str:
        return self.mode or self.settings.wechat.message_mode

    @property
    def crypto(self) -> WeChatCrypto:
        w = self.settings.wechat
        return WeChatCrypto(w.token, w.encoding_aes_key, w.app_id)

    # ---- messages -----------------------------------------------------------------------------

    def message_xml(self, openid: str, msg_type: str, fields: dict[str, Any],
                    create_time: int | None = None) -> str:
        """A push body; nested dicts become nested elements, strings are CDATA like WeChat's."""
        head = {"ToUserName": self.account, "FromUserName": openid,
                "CreateTime": create_time or next(_sequence), "MsgType": msg_type}
        return "<xml>" + _elements({**head, **fields}) + "</xml>"

    def send_text(self, openid: str, content: str, msg_id: str | None = None) -> Reply:
        msg_id = msg_id or str(secrets.randbelow(10**18))
        return self.post(self.message_xml(openid, "text", {"Content": content, "MsgId": msg_id}))

    def event(self, openid: str, event: str, key: str = "", create_time: int | None = None,
              **extra: Any) -> Reply:
        fields = {"Event": event, **({"EventKey": key} if key or event != "subscribe" else {}), **extra}
        return self.post(self.message_xml(openid, "event", fields, create_time))

    def click(self, openid: str, key: str) -> Reply:
        return self.event(openid, "CLICK", key)

    def scan(self, openid: str, text: str, push: bool = False, key: str = "SCAN_QUERY",
             create_time: int | None = None) -> Reply:
        """scancode_waitmsg (or scancode_push) carrying ScanCodeInfo.ScanResult."""
        info = {"ScanType": "qrcode", "ScanResult": text}
        return self.event(openid, "scancode_push" if push else "scancode_waitmsg", key, create_time,
                          ScanCodeInfo=info)

    def subscribe(self, openid: str) -> Reply:
        return self.event(openid, "subscribe")

    def unsubscribe(self, openid: str) -> Reply:
        return self.event(openid, "unsubscribe")

    def image(self, openid: str) -> Reply:
        fields = {"PicUrl": "http://example.invalid/a.jpg", "MediaId": "m1", "MsgId": str(next(_sequence))}
        return self.post(self.message_xml(openid, "image", fields))

    # ---- transport ----------------------------------------------------------------------------

    def post(self, xml: str | bytes, *, signature: str | None = None, msg_signature: str | None = None,
             params: dict[str, str] | None = None, encrypt: bool | None = None, timestamp: str | None = None,
             nonce: str | None = None) -> Reply:
        """Sign (and in compat/safe mode encrypt) `xml`, post it, decrypt the answer.

        `signature`/`msg_signature` override the computed ones; `params` replaces the query entirely;
        `timestamp`/`nonce` replace the current time and a fresh random nonce.
        """
        w = self.settings.wechat
        timestamp, nonce = timestamp or str(int(time.time())), nonce or secrets.token_hex(5)
        query = {"signature": signature or sign(w.token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "openid": "o-from-query"}
        body = xml.encode() if isinstance(xml, str) else xml
        encrypted = self._mode != "plain" if encrypt is None else encrypt
        if encrypted:
            body, msg_sig = self._encrypt(body, nonce, timestamp)
            query.update(encrypt_type="aes", msg_signature=msg_signature or msg_sig)
        self.last = (params if params is not None else query, body)
        status, answer = self._send(*self.last)
        return self._read(status, answer)

    def replay(self, query: dict[str, str] | None = None, body: bytes | None = None) -> Reply:
        """Post the latest push again, exactly or with its query or body replaced (an attacker's replay)."""
        assert self.last is not None, "nothing was posted yet"
        status, answer = self._send(query or self.last[0], body or self.last[1])
        return self._read(status, answer)

    def _encrypt(self, body: bytes, nonce: str, timestamp: str) -> tuple[bytes, str]:
        envelope = xmltodict.parse(self.crypto.encrypt_message(body, nonce, timestamp))["xml"]
        encrypt = envelope["Encrypt"]
        if self._mode == "compat" and body.endswith(b"</xml>"):  # compat carries the plaintext fields too
            return body[:-6] + f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode(), envelope["MsgSignature"]
        wrapped = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                   f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return wrapped.encode(), envelope["MsgSignature"]

    def post_raw(self, body: bytes, query: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
        """Post exactly these bytes with this query (for hostile-input tests)."""
        status, answer = self._send(query, body, headers)
        return Reply(status, answer)

    def signed_query(self) -> dict[str, str]:
        """A valid signature/timestamp/nonce triple."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        return {"signature": sign(self.settings.wechat.token, timestamp, nonce),
                "timestamp": timestamp, "nonce": nonce}

    def _send(self, query: dict[str, str], body: bytes,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "text/xml", **(headers or {})}
        if isinstance(self.target, str):
            res = requests.post(self.target.rstrip("/") + self.path, params=query, data=body,
                                headers=headers, timeout=self.timeout)
            return res.status_code, res.content
        res = self.target.post(self.path, query_string=query, data=body, headers=headers)
        return res.status_code, res.get_data()

    def _read(self, status: int, answer: bytes) -> Reply:
        """Parse the reply; an encrypted one is checked (MsgSignature) and decrypted."""
        if status != 200 or answer.strip() in (b"success", b""):
            return Reply(status, answer)
        data = xmltodict.parse(answer.decode())["xml"]
        if "Encrypt" not in data:
            return Reply(status, answer, data)
        plain = self.crypto.decrypt_message(answer.decode(), data["MsgSignature"], data["TimeStamp"],
                                            data["Nonce"])
        return Reply(status, answer, xmltodict.parse(plain)["xml"], envelope=data)


def _elements(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        if isinstance(value, dict):
            parts.append(f"<{key}>{_elements(value)}</{key}>")
        elif isinstance(value, int):
            parts.append(f"<{key}>{value}</{key}>")
        else:  # like WeChat: CDATA, with any "]]>" split across two sections
            text = str(value).replace("]]>", "]]]]><![CDATA[>")
            parts.append(f"<{key}><![CDATA[{text}]]></{key}>")
    return "".join(parts)


__all__ = ["ACCOUNT", "Reply", "WeChatServer", "sign"]
