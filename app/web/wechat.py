"""The WeChat webhook (`/wechat`): where every message and event from WeChat enters.

Order of work for a push: signature (403) -> size (413) -> XML/decryption (400) -> de-duplication ->
the routed handler in a worker thread with a time budget -> the (encrypted) reply.
WeChat waits 5 seconds and then retries, 3 tries in all: a message is claimed atomically in the shared
store so only one worker handles it, its reply is cached so a retry gets the same answer, and a handler
that misses the budget is answered with "success" and finishes through the customer-service API.
Message contents (ID numbers, names) are never logged.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from app.integrations import rediskeys
from app.integrations.kvstore import KVStore
from app.integrations.wechat import WeChatApiError, WeChatUnavailable
from app.web import deps, wechat_protocol
from app.web.query_pages import make_link
from app.web.wechat_protocol import SUCCESS, BadMessage, BadSignature
from handlers import Context, Incoming, Reply, default_router, replies

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a real push is a few hundred bytes; refuse anything big before parsing
DEDUP_TTL = 300  # WeChat's three tries span about 15 seconds; keep claims well beyond that
REPLY_BUDGET = 4.0  # seconds of WeChat's 5 that a handler may use (the rest is network and crypto)
POLL_INTERVAL = 0.05
WORKERS = 8
_setup_lock = threading.Lock()

bp = Blueprint("wechat", __name__)


def _executor(app: Flask) -> ThreadPoolExecutor:
    """Handler threads, created lazily so a forking server (gunicorn) starts them after the fork."""
    pool = app.extensions.get("wechat_executor")
    if pool is None:
        with _setup_lock:
            pool = app.extensions.setdefault(
                "wechat_executor", ThreadPoolExecutor(WORKERS, thread_name_prefix="wechat"))
    return pool  # type: ignore[no-any-return]


def _args() -> dict[str, str]:
    return {key: request.args.get(key, "") for key in request.args}


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


@bp.get("/wechat")
def verify_server() -> Response:
    """Server verification: echo `echostr` when the signature is ours (plain in every mode)."""
    try:
        wechat_protocol.check_signature(deps.settings().wechat.token, _args())
    except BadSignature:
        return _plain("forbidden", 403)
    return _plain(request.args.get("echostr", ""))


@bp.post("/wechat")
def receive() -> Response:
    """A message or event pushed by WeChat."""
    settings = deps.settings().wechat
    try:
        wechat_protocol.check_signature(settings.token, _args())
    except BadSignature:
        return _plain("forbidden", 403)
    body = _read_body()
    if body is None:
        return _plain("payload too large", 413)
    try:
        msg, encrypted = wechat_protocol.decode(body, settings, _args())
    except BadSignature:
        return _plain("forbidden", 403)
    except BadMessage as exc:
        log.info("wechat: unreadable push refused (%s)", exc)
        return _plain("bad request", 400)
    plain = reply_once(msg)
    if plain == SUCCESS or not encrypted:
        return _plain(plain) if plain == SUCCESS else Response(plain, content_type="application/xml")
    return Response(wechat_protocol.encrypt(plain, settings), content_type="application/xml")


def _read_body() -> bytes | None:
    """At most MAX_BODY bytes of the body; None when it is larger (also without Content-Length)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    data = request.stream.read(MAX_BODY + 1)
    return None if len(data) > MAX_BODY else data


def reply_once(msg: Incoming) -> str:
    """Claim the message atomically; the first delivery computes the reply, retries replay it."""
    store = deps.store()
    key = msg.dedup_key
    # The claim and the sender's conversation state travel together: one round trip.
    claimed, state = store.claim_and_read(rediskeys.msg_dedup(key), DEDUP_TTL, rediskeys.conversation(msg.openid))
    if not claimed:
        return _await_first(store, key)
    plain = _process(msg, state.decode() if state else "")
    store.set(rediskeys.msg_reply(key), plain, ttl=DEDUP_TTL)
    return plain


def _await_first(store: KVStore, key: str) -> str:
    """A duplicate: wait (within the budget) for the first delivery's reply, else say "success"."""
    deadline = time.monotonic() + _budget()
    while True:
        cached = store.get(rediskeys.msg_reply(key))
        if cached is not None:
            return cached.decode()
        if time.monotonic() >= deadline:
            return SUCCESS  # the first delivery will answer (passively or via customer service)
        time.sleep(POLL_INTERVAL)


def _budget() -> float:
    return float(current_app.extensions.get("wechat_reply_budget", REPLY_BUDGET))


def _process(msg: Incoming, state: str) -> str:
    """Run the handler in a worker; past the budget answer "success" and send the reply later."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    more_url = deps.settings().server.base_url
    future = _executor(app).submit(_run, app, msg, state)
    try:
        return wechat_protocol.render(future.result(timeout=_budget()), msg, more_url)
    except FutureTimeout:
        log.info("wechat: %s/%s exceeded the reply budget; answering via customer service",
                 msg.msg_type, msg.event or "-")
        future.add_done_callback(lambda done: _send_late(app, msg.openid, done))
        return SUCCESS


def _run(app: Flask, msg: Incoming, state: str) -> Reply:
    """Dispatch in the worker thread with its own app context (and so its own DB session)."""
    with app.app_context():
        try:
            return default_router().dispatch(msg, build_context(), state)
        except Exception:
            log.exception("wechat: handler failed for %s/%s", msg.msg_type, msg.event or "-")
            return replies.BUSY


def build_context() -> Context:
    """Everything a handler may use, from the current app."""
    settings = deps.settings()
    now = deps.clock().now()
    return Context(session=deps.db_session(), pii=deps.pii(), store=deps.store(), today=now.date(),
                   now=now, base_url=settings.server.base_url.rstrip("/"),
                   official_domain=settings.server.official_domain,
                   link=lambda ids: make_link(settings, ids), verify_text=_verify_text(),
                   count_verdict=functools.partial(deps.tally().count, channel="scan", day=now.date()))


def _verify_text() -> Any:
    """The verification service's verify_text; tests may inject a fake as extensions["verifier"]."""
    override = current_app.extensions.get("verifier")
    return getattr(override or deps.verifier(), "verify_text", override)


def _send_late(app: Flask, openid: str, done: Future[Reply]) -> None:
    """Deliver a late reply with the customer-service API (valid 48 h after the user wrote)."""
    text = wechat_protocol.as_text(done.result())
    if not text:
        return
    try:
        app.extensions["wechat_api"].send_text(openid, replies.fit(text, app.config["SETTINGS"].server.base_url))
    except (WeChatApiError, WeChatUnavailable) as exc:
        log.warning("wechat: late reply not delivered (%s)", type(exc).__name__)
