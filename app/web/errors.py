"""Error pages in Chinese for every part of the site; JSON for the APIs.

Installed app-wide by create_app, so a page of any blueprint (and a path that matches none) gets a
page a worker or a staff member can read instead of Werkzeug's English default. A blueprint may
still answer its own errors first (the H5 404 links back to 我的证书).

A dependency that does not answer (the database frozen or down, a store call that could not fall
back) is not a bug of ours: it answers 503 with Retry-After, never 500 (docs/resilience.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy import exc as db_errors
from werkzeug.exceptions import HTTPException, InternalServerError

from app.integrations.kvstore import StoreUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: the fault tests see a restarted database or Redis answer within this
# Errors that mean "a service we depend on did not answer", not "our code is wrong": the driver's
# OperationalError/InterfaceError (lost connection, read timeout, statement time limit, lock wait),
# the pool's TimeoutError and the store's StoreUnavailable.
UNAVAILABLE = (db_errors.OperationalError, db_errors.InterfaceError, db_errors.TimeoutError, StoreUnavailable)


@dataclass(frozen=True)
class ErrorText:
    """What a person is told for one HTTP status."""

    title: str
    message: str


TEXTS: dict[int, ErrorText] = {
    400: ErrorText("请求有误", "提交的内容无法处理，请返回上一页检查后重试。"),
    403: ErrorText("无权访问", "您没有查看此页面的权限。"),
    404: ErrorText("页面不存在", "没有找到这个页面，请检查链接是否完整。"),
    405: ErrorText("操作方式不正确", "请从页面上的按钮进行操作。"),
    411: ErrorText("缺少文件大小", "上传请求没有说明内容大小，请使用页面上的上传按钮重新上传。"),
    413: ErrorText("上传内容过大", "上传的文件超过了允许的大小，请压缩后重试。"),
    429: ErrorText("操作过于频繁", "请稍后再试。"),
    500: ErrorText("系统出现问题", "很抱歉，系统暂时出现问题，请稍后再试。如多次出现，请联系发证机关。"),
    503: ErrorText("服务暂时不可用", "系统正忙或正在维护，请稍后再试。"),
}


def text_for(status: int) -> ErrorText:
    """The wording for a status; unknown client errors read as 400, unknown server errors as 500."""
    return TEXTS.get(status) or TEXTS[500 if status >= 500 else 400]


def page_family(path: str) -> str:
    """Which look an error page takes: `api` (JSON), `admin` (back office) or `public` (phone pages)."""
    if path.startswith("/api/"):
        return "api"
    if path == "/admin" or path.startswith("/admin/"):
        return "admin"
    return "public"


def render_error(status: int) -> Response:
    """The error answer for this request's path."""
    text, family = text_for(status), page_family(request.path)
    if family == "api":
        response = jsonify(error=status, message=text.message)
    else:
        response = Response(render_template("errors/error.html", status=status, text=text, family=family),
                            mimetype="text/html")
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    response = render_error(exc.code or 500)
    for name in ("Retry-After", "Allow"):  # keep what the raiser said about when or how to retry
        value = exc.get_response().headers.get(name)
        if value:
            response.headers[name] = value
    return response


def _server_error(exc: InternalServerError) -> Response:
    # Flask has already logged the original exception (with the redacting filter of app.logs).
    return render_error(500)


def _unavailable(exc: Exception) -> Response:
    """503 with Retry-After; logged as one line (the statement and its values stay out of the log)."""
    cause = getattr(exc, "orig", None) or exc
    log.warning("%s %s: a dependency did not answer (%s)", request.method, request.path, type(cause).__name__)
    response = render_error(503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    """Answer every HTTP error with the page of its family, and a dependency's failure with 503."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    for error in UNAVAILABLE:
        app.register_error_handler(error, _unavailable)
