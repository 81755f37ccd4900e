"""WeChat message and event handlers, routed by a small declarative table.

Each feature module registers its functions with `@router.on(...)`: by message type, event, event key,
a content pattern, or the user's conversation state. Handlers take an `Incoming` message and a
`Context` (session, store, clock, link signer, verifier) and return a `Reply`; they never import
Flask, so they can run in a worker thread and be tested with plain objects.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.pii import PiiCipher
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore


@dataclass(frozen=True)
class Article:
    """A news reply (WeChat shows one article per passive reply)."""

    title: str
    description: str
    url: str
    image: str = ""


Reply = str | Article | None  # None: nothing to say, WeChat gets "success"


@dataclass(frozen=True)
class Incoming:
    """The parts of a WeChat message or event the handlers use (all plain strings)."""

    openid: str
    account: str
    msg_type: str
    create_time: str
    msg_id: str = ""
    content: str = ""
    event: str = ""
    event_key: str = ""
    scan_result: str = ""

    @property
    def dedup_key(self) -> str:
        """MsgId for messages; for events (no MsgId) sender + CreateTime + Event + EventKey + scan result.

        Two scans in one CreateTime second (a genuine code, then a tampered one) are two events: the
        scanned text is part of the key, hashed because it can be long.
        """
        if self.msg_id:
            return f"id:{self.msg_id}"
        scanned = hashlib.sha256(self.scan_result.encode()).hexdigest()[:16] if self.scan_result else ""
        return f"ev:{self.openid}:{self.create_time}:{self.event}:{self.event_key}:{scanned}"

    @classmethod
    def from_xml_dict(cls, data: dict[str, Any]) -> Incoming:
        """Build from xmltodict's `xml` mapping; missing fields become empty strings."""
        def text(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ""

        scan = data.get("ScanCodeInfo")
        scan_result = scan.get("ScanResult") if isinstance(scan, dict) else ""
        return cls(openid=text("FromUserName"), account=text("ToUserName"),
                   msg_type=text("MsgType").lower(), create_time=text("CreateTime"),
                   msg_id=text("MsgId"), content=text("Content"), event=text("Event").lower(),
                   event_key=text("EventKey"),
                   scan_result=scan_result if isinstance(scan_result, str) else "")


@dataclass
class Context:
    """What a handler may use; built per message by the webhook."""

    session: Session
    pii: PiiCipher
    store: KVStore
    today: date
    now: datetime
    base_url: str
    official_domain: str
    link: Callable[[list[str]], str]  # signed, short-lived H5 link showing these certificates
    verify_text: Callable[[str], Any] | None = None  # Verifier.verify_text (app.services.verification)
    count_verdict: Callable[..., None] | None = None  # (outcome, public_id=…): counts a verdict for the dashboard
    extra: dict[str, Any] = field(default_factory=dict)
    state: str = ""  # the sender's conversation state when the message arrived (set by dispatch)

    def conversation(self, openid: str) -> str:
        """The user's conversation state ("" when none)."""
        value = self.store.get(rediskeys.conversation(openid))
        return value.decode() if value else ""


Handler = Callable[[Incoming, Context], Reply]


@dataclass(frozen=True)
class Route:
    """One row of the routing table; unset fields match anything."""

    msg_type: str
    handler: Handler
    event: str | None = None
    key: str | None = None
    pattern: re.Pattern[str] | None = None
    state: str | None = None
    priority: int = 0  # added to the specificity: a row that must win whatever else matches

    def matches(self, msg: Incoming, state: str) -> bool:
        """Whether this row applies to the message in the user's current state."""
        return (self.msg_type == msg.msg_type
                and (self.event is None or self.event == msg.event)
                and (self.key is None or self.key == msg.event_key)
                and (self.state is None or self.state == state)
                and (self.pattern is None or bool(self.pattern.search(msg.content))))

    @property
    def specificity(self) -> int:
        """More specific rows win: state, then key, then content pattern, then event."""
        return (8 * (self.state is not None) + 4 * (self.key is not None)
                + 2 * (self.pattern is not None) + (self.event is not None) + self.priority)


class Router:
    """The routing table plus a fallback for anything unmatched."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.fallback: Handler | None = None

    def on(self, msg_type: str, *, event: str | None = None, key: str | None = None,
           pattern: str | None = None, state: str | None = None, priority: int = 0,
           ) -> Callable[[Handler], Handler]:
        """Register a handler for a message type (and optionally event, key, pattern, state, priority)."""
        def register(handler: Handler) -> Handler:
            compiled = re.compile(pattern) if pattern else None
            row = Route(msg_type.lower(), handler, event and event.lower(), key, compiled, state, priority)
            self.routes.append(row)
            return handler
        return register

    def otherwise(self, handler: Handler) -> Handler:
        """Register the handler for anything no row matches."""
        self.fallback = handler
        return handler

    def find(self, msg: Incoming, state: str = "") -> Handler | None:
        """The most specific matching handler (first registered wins a tie)."""
        best: Route | None = None
        for route in self.routes:
            if route.matches(msg, state) and (best is None or route.specificity > best.specificity):
                best = route
        return best.handler if best else self.fallback

    def dispatch(self, msg: Incoming, ctx: Context, state: str | None = None) -> Reply:
        """Run the handler chosen for this message; `state` when the caller already read it."""
        if state is None:
            state = ctx.conversation(msg.openid) if msg.openid else ""
        ctx.state = state
        handler = self.find(msg, state)
        return handler(msg, ctx) if handler else None


router = Router()


def default_router() -> Router:
    """The application's router with every feature module registered."""
    from handlers import events, inspector, query, scan  # noqa: F401  (registration happens at import)

    return router
