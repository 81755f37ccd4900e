"""The H5 pages a chat reply links to: masked certificates with their live status, and late answers.

The link carries an itsdangerous token (signed with the app secret, valid 30 minutes) listing the
public ids it may show, so the page cannot be used to enumerate certificates and a forwarded link
stops working soon.

A message whose handler misses WeChat's reply budget is answered with a notice linking to
/h5/answer: the answer is kept there (in the store, 30 minutes) as well as sent as a
customer-service message, which WeChat refuses 48 hours after the user last wrote (45015).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.config import Settings
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore
from app.services import next_steps, registry
from app.services.presenters import describe
from app.web import deps

SALT = "query-detail-link"
ANSWER_SALT = "late-answer-link"
LINK_TTL = 1800  # seconds: the reply says 30 minutes
MAX_IDS = 20

bp = Blueprint("query_pages", __name__)


def _serializer(secret_key: str, salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_link(settings: Settings, public_ids: list[str]) -> str:
    """A signed, short-lived URL showing these certificates (one: /h5/cert/<id>, several: /h5/certs)."""
    token = _serializer(settings.server.secret_key).dumps(public_ids[:MAX_IDS])
    base = settings.server.base_url.rstrip("/")
    if len(public_ids) == 1:
        return f"{base}/h5/cert/{public_ids[0]}?t={token}"
    return f"{base}/h5/certs?t={token}"


def read_link(secret_key: str, token: str, salt: str = SALT) -> Any:
    """The value of a valid token; None when forged, altered or older than 30 minutes."""
    try:
        return _serializer(secret_key, salt).loads(token, max_age=LINK_TTL)
    except (BadSignature, SignatureExpired):
        return None


def _ids(value: Any) -> list[str] | None:
    return [str(i) for i in value] if isinstance(value, list) else None


def answer_id(message_key: str) -> str:
    """A short opaque id for one message's answer (the message key holds the sender's openid)."""
    return hashlib.sha256(message_key.encode()).hexdigest()[:32]


def make_answer_link(settings: Settings, answer: str) -> str:
    """A signed, short-lived URL of the page that shows a late answer."""
    token = _serializer(settings.server.secret_key, ANSWER_SALT).dumps(answer)
    return f"{settings.server.base_url.rstrip('/')}/h5/answer?t={token}"


def keep_answer(store: KVStore, answer: str, text: str) -> None:
    """Keep a late answer's text for its page, as long as the page's link is valid."""
    store.set(rediskeys.late_answer(answer), text, ttl=LINK_TTL)


def _page(items: list[dict[str, Any]], status: int = 200, error: str = "") -> Response:
    """Render with headers that keep the token out of caches and referrers."""
    res = make_response(render_template("query/detail.html", items=items, error=error), status)
    res.headers["Cache-Control"] = "no-store"
    res.headers["Referrer-Policy"] = "no-referrer"
    return res


def _describe(public_id: str) -> dict[str, Any] | None:
    """Masked fields and live status of one certificate version."""
    session = deps.db_session()
    pair = registry.find_with_holder(session, public_id)
    if pair is None:
        return None
    cert, person = pair
    today = deps.clock().today()
    found = registry.Found(cert, person, registry.status_of(session, cert, today))
    return {**describe(found, today), "next_step": next_steps.for_found(found)}


def _show(ids: list[str] | None, wanted: str | None = None) -> Response:
    if ids is None or (wanted is not None and wanted not in ids):
        return _page([], 403, "链接无效或已过期（30分钟内有效），请在公众号重新查询。")
    items = [item for pid in ([wanted] if wanted else ids) if (item := _describe(pid))]
    if not items:
        return _page([], 404, "未找到该证书，请在公众号重新查询。")
    return _page(items)


@bp.get("/h5/cert/<public_id>")
def detail(public_id: str) -> Response:
    """One certificate from a query reply."""
    return _show(_ids(read_link(deps.settings().server.secret_key, request.args.get("t", ""))), public_id)


@bp.get("/h5/certs")
def listing() -> Response:
    """Every certificate of a query reply (the link after a reply cut at 2048 bytes)."""
    return _show(_ids(read_link(deps.settings().server.secret_key, request.args.get("t", ""))))


@bp.get("/h5/answer")
def late_answer() -> Response:
    """The answer to a message that took longer than WeChat waits (see the module docstring)."""
    answer = read_link(deps.settings().server.secret_key, request.args.get("t", ""), ANSWER_SALT)
    if not isinstance(answer, str):
        return _answer_page("", 403, "链接无效或已过期（30分钟内有效），请在公众号重新发送。")
    text = deps.store().get(rediskeys.late_answer(answer))
    if text is None:
        return _answer_page("", 200, "正在处理，请稍候刷新本页。")
    return _answer_page(text.decode(), 200, "")


def _answer_page(text: str, status: int, notice: str) -> Response:
    res = make_response(render_template("query/answer.html", text=text, notice=notice), status)
    res.headers["Cache-Control"] = "no-store"
    res.headers["Referrer-Policy"] = "no-referrer"
    return res
