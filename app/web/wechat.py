"""The WeChat webhook (`/wechat`): where every message and event from WeChat enters.

Order of work for a push: signature and timestamp window (403) -> size (413) -> XML/decryption (400) ->
replay check and de-duplication -> the routed handler in a worker thread with a time budget -> the
(encrypted) reply.
WeChat waits 5 seconds and then retries, 3 tries in all: a message is claimed atomically in the shared
store so only one worker handles it, its reply is cached so a retry gets the same answer, and a handler
that misses the budget is answered with a short notice linking to an H5 page where the answer will
be kept; the answer is also sent through the customer-service API (which WeChat refuses 48 hours
after the user last wrote: 45015).
Replays: the signed timestamp must be within REPLAY_WINDOW of our clock, and a signed (timestamp,
nonce) pair is bound to the first message it came with: in plain and compat mode the signature does
not cover the body, so a captured signature cannot carry another message.
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
from app.web.errors import UNAVAILABLE
from app.web.query_pages import answer_id, keep_answer, make_answer_link, make_link
from app.web.wechat_protocol import SUCCESS, BadMessage, BadSignature
from handlers import Context, Incoming, Reply, default_router, replies

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a real push is a few hundred bytes; refuse anything big before parsing
REPLAY_WINDOW = 300  # seconds a signed timestamp may differ from our clock (WeChat's clock is not ours)
# WeChat's three tries span about 15 seconds, but a captured push stays acceptable for the whole
# window on either side of its timestamp: claims and nonce bindings must outlive it.
DEDUP_TTL = 2 * REPLAY_WINDOW + 60
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
    settings, args = deps.settings().wechat, _args()
    try:
        wechat_protocol.check_signature(settings.token, args)
        wechat_protocol.check_timestamp(args["timestamp"], time.time(), REPLAY_WINDOW)
    except BadSignature as exc:
        log.info("wechat: push refused (%s)", exc)
        return _plain("forbidden", 403)
    body = _read_body()
    if body is None:
        return _plain("payload too large", 413)
    try:
        msg, encrypted = wechat_protocol.decode(body, settings, args)
    except BadSignature:
        return _plain("forbidden", 403)
    except BadMessage as exc:
        log.info("wechat: unreadable push refused (%s)", exc)
        return _plain("bad request", 400)
    plain = _answer(msg, (args["timestamp"], args["nonce"]))
    if plain is None:
        log.info("wechat: a signed timestamp and nonce came again with another message; refused")
        return _plain("forbidden", 403)
    if plain == SUCCESS or not encrypted:
        return _plain(plain) if plain == SUCCESS else Response(plain, content_type="application/xml")
    return Response(wechat_protocol.encrypt(plain, settings), content_type="application/xml")


def _answer(msg: Incoming, signed: tuple[str, str]) -> str | None:
    """The reply XML; whatever fails on the way, the user gets a polite reply rather than an error."""
    try:
        return reply_once(msg, signed)
    except Exception:
        log.exception("wechat: answering %s/%s failed", msg.msg_type, msg.event or "-")
        return wechat_protocol.render(replies.BUSY, msg, deps.settings().server.base_url)


def _read_body() -> bytes | None:
    """At most MAX_BODY bytes of the body; None when it is larger (also without Content-Length)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    data = request.stream.read(MAX_BODY + 1)
    return None if len(data) > MAX_BODY else data


def reply_once(msg: Incoming, signed: tuple[str, str]) -> str | None:
    """Claim the message atomically; the first delivery computes the reply, retries replay it.

    `signed` is the push's (timestamp, nonce): bound to this message, so None (refuse) when the pair
    was first seen with another one.
    """
    store = deps.store()
    key = msg.dedup_key
    # The replay check, the claim and the sender's conversation state travel together: one round trip.
    claimed, state = store.claim_and_read(rediskeys.msg_dedup(key), DEDUP_TTL, rediskeys.conversation(msg.openid),
                                          bind=(rediskeys.push_nonce(*signed), key))
    if claimed is None:
        return None
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
    """Run the handler in a worker; past the budget say where the answer will be, and send it later."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = deps.settings()
    future = _executor(app).submit(_run, app, msg, state)
    try:
        return wechat_protocol.render(future.result(timeout=_budget()), msg, settings.server.base_url)
    except FutureTimeout:
        log.info("wechat: %s/%s exceeded the reply budget; answering via customer service and its page",
                 msg.msg_type, msg.event or "-")
        answer = answer_id(msg.dedup_key)
        future.add_done_callback(lambda done: _deliver_late(app, msg.openid, answer, done))
        notice = replies.LATE_NOTICE.format(url=make_answer_link(settings, answer))
        return wechat_protocol.render(notice, msg, settings.server.base_url)


def _run(app: Flask, msg: Incoming, state: str) -> Reply:
    """Dispatch in the worker thread with its own app context (and so its own DB session)."""
    with app.app_context():
        try:
            return default_router().dispatch(msg, build_context(), state)
        except UNAVAILABLE as exc:  # the database did not answer: one line, not a traceback per message
            log.warning("wechat: %s/%s: a dependency did not answer (%s)", msg.msg_type, msg.event or "-",
                        type(getattr(exc, "orig", None) or exc).__name__)
            return replies.BUSY
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


def _deliver_late(app: Flask, openid: str, answer: str, done: Future[Reply]) -> None:
    """Keep a late answer on its page, then send it with the customer-service API.

    WeChat refuses customer-service messages 48 hours after the user last wrote (45015) or when it
    is down; the page the notice linked to still shows the answer.
    """
    text = wechat_protocol.as_text(done.result())
    keep_answer(app.extensions["store"], answer, text or replies.NOTHING_MORE)
    if not text:
        return
    try:
        app.extensions["wechat_api"].send_text(openid, replies.fit(text, app.config["SETTINGS"].server.base_url))
    except (WeChatApiError, WeChatUnavailable) as exc:
        log.warning("wechat: late reply not delivered (%s); it stays on its page", type(exc).__name__)
