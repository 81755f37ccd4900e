"""The webhook under load: an encrypted 输入查询 text message, against a constant-reply Flask baseline.

Both run under the same gunicorn (2 workers) on loopback; ours uses MariaDB with the 1M data set and
Redis for de-duplication, rate limits and conversation state. Every request is a distinct message
(own MsgId and openid), so neither de-duplication nor the per-user rate limit short-circuits it.
Targets (issue 3): at least half the baseline's throughput, p99 under 100 ms at 200 requests/s.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import redis
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bench.common import Report, Request, closed_loop, gunicorn, open_loop, write_config
from bench.dataset import csv_path, million_database, sample_queries

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")  # flushed before each pass
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))  # wrk wants whole seconds ("10s", not "10.0s")
MESSAGES = 40_000  # more than a pass sends, so every request is a first delivery
TOKEN, AES_KEY, APP_ID = "devtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxdevelopment0000"


def encrypted_queries(pairs: list[tuple[str, str]], count: int, first_id: int) -> list[Request]:
    """Signed, encrypted text pushes `证件号码 姓名`, one openid and MsgId each (single-line bodies)."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    rng = random.Random(first_id)
    out = []
    for n in range(count):
        number, name = rng.choice(pairs)
        msg_id = first_id + n
        plain = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o-bench-{msg_id}]]>"
                 f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                 f"<Content><![CDATA[{number} {name}]]></Content><MsgId>{msg_id}</MsgId></xml>")
        timestamp, nonce = str(int(time.time())), f"n{msg_id}"
        envelope = xmltodict.parse(crypto.encrypt_message(plain, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        signature = _sha1(TOKEN, timestamp, nonce)
        query = urlencode({"signature": signature, "timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
                           "msg_signature": envelope["MsgSignature"]})
        out.append(Request("POST", f"/wechat?{query}", body.encode(), {"Content-Type": "text/xml"}))
    return out


def _sha1(*parts: str) -> str:
    import hashlib

    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's protocol


def _check_reply(base_url: str, request: Request) -> None:
    """One request by hand: the decrypted answer must list a certificate (the benchmark measures real work)."""
    res = requests.post(base_url + request.path, data=request.body, headers=request.headers, timeout=10)
    data = xmltodict.parse(res.text)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    plain = crypto.decrypt_message(res.text, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
    content = xmltodict.parse(plain)["xml"]["Content"]
    assert "查询到" in content, content


def _flush_redis() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


def run(report: Report, database_url: str | None = None) -> None:
    """Closed-loop throughput and latency, then p99 at a fixed 200 requests/s, ours beside the baseline."""
    url = database_url or os.environ.get("BENCH_WEBHOOK_DB") or million_database()
    pairs = sample_queries(csv_path(), 2000)
    messages = encrypted_queries(pairs, MESSAGES, first_id=10**12 + random.randrange(10**9))
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp) / "bench.toml", url, "http://127.0.0.1", REDIS_URL,
                              extra='[wechat]\nmessage_mode = "safe"\n')
        env = {"APP_CONFIG": str(config)}
        _flush_redis()
        with gunicorn("app:create_app()", env) as base:
            _check_reply(base, messages[-1])
            ours = closed_loop(base, messages[: MESSAGES // 2], SECONDS)
            fixed = open_loop(base, messages[MESSAGES // 2:], rate=200, seconds=SECONDS)
        with gunicorn("bench.baseline_app:app", {}) as base:
            floor = closed_loop(base, messages[: MESSAGES // 2], SECONDS)
            floor_fixed = open_loop(base, messages[MESSAGES // 2:], rate=200, seconds=SECONDS)
    rows = [["/wechat encrypted 输入查询", f"{ours[0]:,.0f}", f"{ours[1]:.1f}", f"{ours[2]:.1f}", ours[3],
             f"{fixed.pct(0.5):.1f}", f"{fixed.pct(0.99):.1f}", fixed.errors],
            ["baseline: constant reply", f"{floor[0]:,.0f}", f"{floor[1]:.1f}", f"{floor[2]:.1f}", floor[3],
             f"{floor_fixed.pct(0.5):.1f}", f"{floor_fixed.pct(0.99):.1f}", floor_fixed.errors]]
    report.add("WeChat webhook: encrypted 输入查询 (gunicorn 2 workers, gthread x4, MariaDB + Redis)", rows,
               ["app", "req/s (16 conns)", "p50 ms", "p99 ms", "errors", "p50 ms @200/s", "p99 ms @200/s",
                "errors @200/s"],
               f"{SECONDS} s per pass with wrk; the fixed-rate pass measures from each request's scheduled "
               f"time. Throughput ratio ours/baseline: {ours[0] / floor[0]:.2f}. Database: {url.split('@')[-1]}.")
