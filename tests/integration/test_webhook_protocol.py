"""The /wechat endpoint speaks WeChat's protocol and refuses everything else without a 500."""
# Fixtures are imported explicitly from webhook_fixtures/fakes_fixtures, so F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations import rediskeys
from app.integrations.kvstore import MemoryStore
from tests.integration.webhook_fixtures import CountingVerifier, wechat  # noqa: F401
from tests.wechat_helper import WeChatServer, sign


@pytest.fixture
def app_in_mode(settings: Settings, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Flask]:
    application = create_app(replace(settings, wechat={"message_mode": request.param}), store=MemoryStore(),
                             clock=clock)
    yield application
    application.extensions["db"].engine.dispose()


def test_server_verification_echoes_echostr_when_the_signature_is_ours(wechat: WeChatServer) -> None:
    res = wechat.target.get("/wechat", query_string={**wechat.signed_query(), "echostr": "4827361"})
    assert res.status_code == 200
    assert res.get_data() == b"4827361"


@pytest.mark.parametrize("query", [
    {"signature": "0" * 40, "timestamp": "1", "nonce": "n", "echostr": "x"},
    {"timestamp": "1", "nonce": "n", "echostr": "x"},
    {},
])
def test_server_verification_with_a_bad_signature_is_forbidden(wechat: WeChatServer, query: dict) -> None:
    res = wechat.target.get("/wechat", query_string=query)
    assert res.status_code == 403
    assert b"x" not in res.get_data()


@pytest.mark.parametrize("signature", ["0" * 40, "", "not-hex"])
def test_a_push_with_a_wrong_or_missing_signature_is_forbidden_and_not_processed(
        app: Flask, wechat: WeChatServer, signature: str) -> None:
    query = {**wechat.signed_query(), "signature": signature}
    body = wechat.message_xml("o-attacker", "event", {"Event": "CLICK", "EventKey": "QUERY_INPUT"}).encode()
    reply = wechat.post_raw(body, query)
    assert reply.status == 403
    assert app.extensions["store"].get(rediskeys.conversation("o-attacker")) is None


def test_a_wrong_msg_signature_is_forbidden_and_not_processed(app: Flask, wechat: WeChatServer) -> None:
    body = wechat.message_xml("o-attacker", "event", {"Event": "CLICK", "EventKey": "QUERY_INPUT"})
    reply = wechat.post(body, msg_signature="0" * 40)
    assert reply.status == 403
    assert app.extensions["store"].get(rediskeys.conversation("o-attacker")) is None


def test_msg_signature_cannot_be_replaced_by_the_url_signature(wechat: WeChatServer) -> None:
    timestamp, nonce = "1700000000", "abc"
    url_signature = sign(wechat.settings.wechat.token, timestamp, nonce)
    params = {"signature": url_signature, "timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
              "msg_signature": url_signature}
    body, _ = wechat._encrypt(wechat.message_xml("o-1", "event", {"Event": "subscribe"}).encode(), nonce, timestamp)
    assert wechat.post_raw(body, params).status == 403


@pytest.mark.parametrize("app_in_mode", ["plain", "compat", "safe"], indirect=True)
def test_every_message_mode_gets_the_welcome_and_encrypted_modes_get_it_encrypted(app_in_mode: Flask) -> None:
    settings = app_in_mode.config["SETTINGS"]
    reply = WeChatServer(app_in_mode.test_client(), settings).subscribe("o-new-follower")
    assert reply.status == 200
    assert "输入查询" in reply.text and "扫码查询" in reply.text and "我的证书" in reply.text
    assert reply.xml["ToUserName"] == "o-new-follower"
    assert (reply.envelope is not None) == (settings.wechat.message_mode != "plain")


@pytest.mark.parametrize("app_in_mode", ["compat"], indirect=True)
def test_compat_mode_answers_plaintext_pushes_in_plaintext(app_in_mode: Flask) -> None:
    server = WeChatServer(app_in_mode.test_client(), app_in_mode.config["SETTINGS"], mode="plain")
    reply = server.subscribe("o-plain")
    assert reply.envelope is None
    assert "输入查询" in reply.text


def test_safe_mode_refuses_plaintext_pushes(wechat: WeChatServer) -> None:
    assert wechat.post(wechat.message_xml("o-1", "event", {"Event": "subscribe"}), encrypt=False).status == 400


def test_a_body_over_64_kb_is_refused_before_parsing(wechat: WeChatServer) -> None:
    big = b"<xml><Content>" + b"a" * (64 * 1024) + b"</Content></xml>"
    assert wechat.post_raw(big, wechat.signed_query()).status == 413


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b"<xml><Content>&lol2;</Content></xml>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>"
       b"<Content>&xxe;</Content></xml>")
HOSTILE = {
    "malformed": b"<xml><ToUserName>a</ToUserName",
    "entity expansion": BILLION_LAUGHS,
    "external entity": XXE,
    "not utf-8": "<xml><Content>中文</Content></xml>".encode("gbk"),
    "no xml root": b"<foo><MsgType>text</MsgType></foo>",
    "text root": b"<xml>just text</xml>",
    "no MsgType": b"<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>",
    "empty": b"",
    "json": b'{"MsgType": "text"}',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_plaintext_bodies_get_a_400_never_a_500(wechat: WeChatServer, body: bytes) -> None:
    reply = wechat.post(body)  # safe mode: the hostile body is the decrypted message
    assert reply.status == 400


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_envelopes_get_a_400_never_a_500(wechat: WeChatServer, body: bytes) -> None:
    query = {**wechat.signed_query(), "encrypt_type": "aes", "msg_signature": "0" * 40}
    assert wechat.post_raw(body, query).status in (400, 403)


@pytest.mark.parametrize("encrypt", ["not base64 at all!", "QUJD", "A" * 64])
def test_an_undecryptable_encrypt_field_gets_a_400(wechat: WeChatServer, encrypt: str) -> None:
    query = wechat.signed_query()
    query.update(encrypt_type="aes", msg_signature=sign(wechat.settings.wechat.token, query["timestamp"],
                                                        query["nonce"], encrypt))
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    assert wechat.post_raw(body, query).status == 400


@pytest.mark.parametrize("msg_type", ["image", "voice", "shortvideo", "made-up"])
def test_unknown_messages_get_a_short_help(wechat: WeChatServer, msg_type: str) -> None:
    reply = wechat.post(wechat.message_xml("o-1", msg_type, {"MediaId": "m", "MsgId": "77" + msg_type}))
    assert reply.status == 200
    assert "输入查询" in reply.text


def test_unknown_text_gets_a_short_help(wechat: WeChatServer) -> None:
    assert "输入查询" in wechat.send_text("o-1", "你好").text


def test_user_text_with_cdata_terminators_and_control_characters_cannot_break_the_reply(
        app: Flask, wechat: WeChatServer) -> None:
    app.extensions["verifier"] = CountingVerifier(headline="]]></Content><MsgType>evil</MsgType>\x01\x07",
                                                  explanation="x]]>y")
    reply = wechat.scan("o-1", "anything ]]> <b>")
    assert reply.status == 200
    assert reply.msg_type == "text"
    assert "evil" in reply.text and "\x01" not in reply.text and "]]>" not in reply.text


def test_a_long_reply_is_cut_to_2048_bytes_with_a_link(app: Flask, wechat: WeChatServer) -> None:
    app.extensions["verifier"] = CountingVerifier(explanation="很长的说明。\n" * 400)
    reply = wechat.scan("o-1", "T500112196312092319")
    assert len(reply.text.encode()) <= 2048
    assert reply.text.endswith("</a>") and "查看全部" in reply.text
