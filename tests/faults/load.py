"""The mixed load the fault suite keeps running while a dependency fails, and what each answer means.

Every request is recorded with its start, end and a category: `normal` (the full answer), `polite`
(the answer promised while a dependency is down: a Chinese 503 page or JSON 503 with Retry-After,
or in WeChat 系统繁忙 / the late-answer notice) or `bad` (anything else: a 500, silence, a wrong page).
"""

from __future__ import annotations

import io
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyotp
import requests
from PIL import Image

from handlers import replies
from tests.wechat_helper import WeChatServer

WECHAT_WAIT = 5.0  # WeChat gives up on an answer after 5 seconds and retries (3 tries in all)
PAGE_WAIT = 15.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REQUEST_LINK = re.compile(r"/admin/requests/(\d+)")
BUSY_503 = "服务暂时不可用"


@dataclass
class Record:
    actor: str
    start: float
    end: float
    category: str
    detail: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Load:
    """Actors in threads, each repeating one user's action until stopped."""

    records: list[Record] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def add(self, name: str, step: Callable[[], tuple[str, str] | None], pause: float = 0.2) -> None:
        """Run `step` in a loop; it returns (category, detail), or None when it has nothing left to do."""
        def loop() -> None:
            while not self.stop.is_set():
                start = time.monotonic()
                try:
                    outcome = step()
                except Exception as exc:  # a refused connection or a timeout is an answer too: a bad one
                    outcome = ("bad", f"{type(exc).__name__}: {exc}"[:200])
                if outcome is None:
                    self.stop.wait(pause)
                    continue
                with self._lock:
                    self.records.append(Record(name, start, time.monotonic(), *outcome))
                self.stop.wait(pause)
        thread = threading.Thread(target=loop, name=f"load-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def finish(self) -> list[Record]:
        self.stop.set()
        for thread in self._threads:
            thread.join(30)
        return self.records


def http_answer(res: requests.Response, expected: str | None, api: bool = False) -> tuple[str, str]:
    """A page or API answer: 200 with the expected text, or the promised 503 with Retry-After.

    `expected` None: the caller has already judged every full answer, so only the 503 can be right.
    """
    if res.status_code == 200 and expected is not None and expected in res.text:
        return "normal", ""
    if res.status_code == 503 and res.headers.get("Retry-After"):
        if api and res.headers.get("Content-Type", "").startswith("application/json") and res.json().get("message"):
            return "polite", "503"
        if not api and BUSY_503 in res.text:
            return "polite", "503"
    return "bad", f"HTTP {res.status_code}: {res.text[:120]}"


@dataclass
class WeChatUser:
    """WeChat's side of one kind of push: a new sender per message, retries as WeChat makes them."""

    server: WeChatServer
    prefix: str
    expected: str
    sent: dict[str, str] = field(default_factory=dict)  # openid -> what the user saw
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def push(self, send: Callable[[WeChatServer, str], object]) -> tuple[str, str]:
        openid = f"{self.prefix}-{next(self._numbers)}"
        for _try in range(3):
            try:
                reply = send(self.server, openid)
            except requests.Timeout:
                continue  # WeChat retries the same message
            text = getattr(reply, "text", "")
            status = getattr(reply, "status", 0)
            self.sent[openid] = text
            return wechat_category(status, text, self.expected)
        self.sent[openid] = ""
        return "bad", "no answer within 5 s in 3 tries: 该公众号暂时无法提供服务"


def wechat_category(status: int, text: str, expected: str) -> tuple[str, str]:
    if status == 200 and expected in text:
        return "normal", ""
    if status == 200 and (replies.BUSY in text or "稍后以消息发给您" in text):
        return "polite", "busy" if replies.BUSY in text else "late"
    return "bad", f"HTTP {status}: {text[:120]}"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "#c0a080").save(out, "JPEG")
    return out.getvalue()


@dataclass
class ReviewSubmitter:
    """Workers filing a manual review (one each); a 503 is retried until the request is in."""

    base: str
    cookies: dict[str, str]  # openid -> signed session cookie of a registered worker
    done: set[str] = field(default_factory=set)
    tries: dict[str, int] = field(default_factory=dict)

    def step(self) -> tuple[str, str] | None:
        waiting = [openid for openid in self.cookies if openid not in self.done]
        if not waiting:
            return None
        openid = waiting[0]
        self.tries[openid] = self.tries.get(openid, 0) + 1
        browser = requests.Session()
        browser.cookies.set("session", self.cookies[openid], domain="127.0.0.1")
        form = browser.get(f"{self.base}/h5/review/new", allow_redirects=False, timeout=PAGE_WAIT)
        if form.status_code == 302 and "/h5/review" in form.headers.get("Location", ""):
            self.done.add(openid)  # filed by an earlier try whose answer was lost
            return "normal", "already filed"
        if form.status_code != 200:
            return http_answer(form, "人工审核")
        token = _CSRF.search(form.text)
        assert token, "no CSRF token on the review form"
        sent = browser.post(f"{self.base}/h5/review/new", allow_redirects=False, timeout=PAGE_WAIT,
                            data={"csrf_token": token.group(1), "authority": "重庆市应急管理局",
                                  "description": "公安库里没有我的照片"},
                            files={"holding_id": ("holding_id.jpg", jpeg(), "image/jpeg")})
        if sent.status_code == 302 and "/h5/review" in sent.headers.get("Location", ""):
            self.done.add(openid)
            return "normal", ""
        return http_answer(sent, None)


@dataclass
class Reviewer:
    """A staff member approving pending requests from the queue page."""

    base: str
    browser: requests.Session
    decided: set[int] = field(default_factory=set)

    def step(self) -> tuple[str, str] | None:
        queue = self.browser.get(f"{self.base}/admin/queue", allow_redirects=False, timeout=PAGE_WAIT)
        if queue.status_code != 200:
            return http_answer(queue, None)
        pending = [int(n) for n in _REQUEST_LINK.findall(queue.text) if int(n) not in self.decided]
        if not pending:
            return "normal", "queue empty"
        number = pending[0]
        page = self.browser.get(f"{self.base}/admin/requests/{number}", timeout=PAGE_WAIT)
        if page.status_code != 200:
            return http_answer(page, None)
        token = _CSRF.search(page.text)
        assert token, "no CSRF token on the request page"
        sent = self.browser.post(f"{self.base}/admin/requests/{number}/decide", allow_redirects=False,
                                 timeout=PAGE_WAIT, data={"csrf_token": token.group(1), "action": "approve",
                                       "confirmed": "yes"})
        if sent.status_code == 302:
            self.decided.add(number)
            return "normal", f"approved #{number}"
        if sent.status_code == 400 and "已经处理过" in sent.text:
            self.decided.add(number)  # decided by an earlier try whose answer was lost
            return "normal", f"#{number} was already decided"
        return http_answer(sent, None)


def _post_form(browser: requests.Session, base: str, path: str, fields: dict[str, str]) -> requests.Response:
    """GET a form page for its CSRF token, then POST the fields."""
    page = browser.get(f"{base}{path}", timeout=PAGE_WAIT)
    token = _CSRF.search(page.text)
    assert token, f"no CSRF token on {path}"
    return browser.post(f"{base}{path}", allow_redirects=False, timeout=PAGE_WAIT,
                        data={**fields, "csrf_token": token.group(1)})


def staff_session(base: str, username: str, password: str, totp_secret: str) -> requests.Session:
    """Sign in through the login form, then the authenticator's code (the server's clock is real).

    Each 30-second code is good once and the next one is accepted too (one step of drift), so a
    phase signing in again within the same step sends the next code.
    """
    browser = requests.Session()
    signed = _post_form(browser, base, "/admin/login", {"username": username, "password": password})
    assert signed.status_code == 302, signed.text[:300]
    totp = pyotp.TOTP(totp_secret)
    for offset in (0, 1):
        res = _post_form(browser, base, "/admin/login/code", {"code": totp.at(time.time(), counter_offset=offset)})
        if res.status_code == 302:
            break
    assert res.status_code == 302, res.text[:300]
    return browser
