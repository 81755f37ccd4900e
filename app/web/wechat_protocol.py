"""WeChat's message-push protocol: signatures, (de)cryption and reply XML, with no Flask state.

Facts (docs/rules.md, "WeChat official-account facts"): `signature` = sha1 of the sorted token,
timestamp and nonce, present on every push in every mode; in safe/compat mode with encrypt_type=aes
the body is checked with `msg_signature` (sha1 of token, timestamp, nonce and the Encrypt field) and
the reply is encrypted back.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import ArticlesReply, TextReply

from app.config import WechatSettings
from handlers import Article, Incoming, Reply, replies

SUCCESS = "success"  # WeChat's "nothing to say": no "该公众号暂时无法提供服务" shown to the user


class BadSignature(Exception):
    """The request was not signed with our token (answer 403, process nothing)."""


class BadMessage(Exception):
    """The body is not a message we can read (answer 400)."""


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's protocol


def check_signature(token: str, args: dict[str, str]) -> None:
    """Check the URL `signature`; raise BadSignature when missing or wrong (constant-time compare)."""
    signature, timestamp, nonce = args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
    if not (signature and timestamp and nonce):
        raise BadSignature("missing signature parameters")
    if not hmac.compare_digest(sha1_signature(token, timestamp, nonce), signature.lower()):
        raise BadSignature("wrong signature")


def check_timestamp(timestamp: str, now: float, window: float) -> None:
    """Refuse a signed timestamp that is not a number of seconds within `window` of `now` (replays)."""
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise BadSignature("timestamp is not a number")
    if abs(int(timestamp) - now) > window:
        raise BadSignature("timestamp outside the accepted window")


def parse_xml(body: bytes) -> dict[str, Any]:
    """The `<xml>` mapping; entity declarations are refused by xmltodict (no billion laughs, no XXE)."""
    try:
        data = xmltodict.parse(body.decode("utf-8"), disable_entities=True)
    except Exception as exc:  # ExpatError, ValueError("entities are disabled"), UnicodeDecodeError
        raise BadMessage(type(exc).__name__) from None
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise BadMessage("no <xml> root")
    return root


def decode(body: bytes, settings: WechatSettings, args: dict[str, str]) -> tuple[Incoming, bool]:
    """The incoming message and whether it came encrypted (then the reply must be encrypted too)."""
    encrypted = args.get("encrypt_type", "raw") == "aes"
    if encrypted and settings.message_mode == "plain":
        raise BadMessage("encrypted message but message_mode is plain")
    if not encrypted and settings.message_mode == "safe":
        raise BadMessage("message_mode is safe: plaintext refused")
    data = parse_xml(body)
    if encrypted:
        data = parse_xml(_decrypt(data, settings, args))
    msg = Incoming.from_xml_dict(data)
    if not msg.openid or not msg.msg_type:
        raise BadMessage("FromUserName or MsgType missing")
    return msg, encrypted


def _crypto(settings: WechatSettings) -> WeChatCrypto:
    return _crypto_for(settings.token, settings.encoding_aes_key, settings.app_id)


@functools.lru_cache(maxsize=4)
def _crypto_for(token: str, encoding_aes_key: str, app_id: str) -> WeChatCrypto:
    """One WeChatCrypto per account (it holds no per-message state; building it decodes the key)."""
    return WeChatCrypto(token, encoding_aes_key, app_id)


def _decrypt(data: dict[str, Any], settings: WechatSettings, args: dict[str, str]) -> bytes:
    """Decrypt the Encrypt field, checked with msg_signature (never with `signature`)."""
    encrypt, msg_signature = data.get("Encrypt"), args.get("msg_signature", "")
    if not isinstance(encrypt, str) or not encrypt:
        raise BadMessage("Encrypt missing")
    if not msg_signature:
        raise BadSignature("msg_signature missing")
    try:
        plain = _crypto(settings).decrypt_message({"Encrypt": encrypt}, msg_signature,
                                                  args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        raise BadSignature("wrong msg_signature") from None
    except Exception as exc:  # bad base64, padding, app id: not a message from our WeChat account
        raise BadMessage(type(exc).__name__) from None
    return plain.encode() if isinstance(plain, str) else bytes(plain)


def render(reply: Reply, msg: Incoming, more_url: str) -> str:
    """Reply XML (plaintext), or "success" when there is nothing to say."""
    if reply is None:
        return SUCCESS
    if isinstance(reply, Article):
        article = {"title": replies.sanitize(reply.title)[:64],
                   "description": replies.sanitize(reply.description), "url": reply.url, "image": reply.image}
        return str(ArticlesReply(source=msg.account, target=msg.openid, articles=[article]).render())
    content = replies.fit(replies.sanitize(reply), more_url)
    return str(TextReply(source=msg.account, target=msg.openid, content=content).render())


def as_text(reply: Reply) -> str | None:
    """A reply as customer-service text (used when the answer comes too late for the passive reply)."""
    if reply is None:
        return None
    if isinstance(reply, Article):
        return f"{reply.title}\n{reply.description}\n<a href=\"{reply.url}\">点击查看</a>"
    return replies.sanitize(reply)


def encrypt(plain: str, settings: WechatSettings) -> str:
    """The encrypted reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce)."""
    return str(_crypto(settings).encrypt_message(plain, secrets.token_hex(8), str(int(time.time()))))
