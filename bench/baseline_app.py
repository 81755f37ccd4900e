"""The baseline for the webhook benchmark: a minimal Flask app answering every push with a constant reply."""

from __future__ import annotations

from flask import Flask, Response

REPLY = ("<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>"
         "<CreateTime>0</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ok]]></Content></xml>")

app = Flask(__name__)


@app.post("/wechat")
def wechat() -> Response:
    """Read the body and answer at once: the floor the real webhook is compared with."""
    from flask import request

    request.get_data()
    return Response(REPLY, content_type="application/xml")


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.get("/v/<path:token>")
def verify_page(token: str) -> Response:
    """The verification benchmark's floor: a constant small HTML page (issue 5)."""
    return Response("<!doctype html><title>ok</title><h1>ok</h1>", content_type="text/html; charset=utf-8")
