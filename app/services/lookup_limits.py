"""Limits on looking a holder up by number + name (输入查询, a scanned bare number, the API).

Such a lookup can be turned into a search for who holds a certificate, so it is limited three ways:
- per sender (a WeChat account or a client address): how many lookups in ten minutes;
- per sender and number: how many different names this sender tried for one number in a day, so a
  worker who mistypes his name a few times is not locked out, and a guesser is stopped early;
- per number: how many different names everybody tried for it in a day, set so high that only many
  senders together reach it (a distributed attack).
A refused lookup adds nothing to the later counts, so one sender cannot lock other people's numbers
by spraying names. The holder himself, verified and bound in 我的证书, is never refused his own number:
nobody can lock a worker out of his own certificates.

`decide` is the policy (pure, table-tested); `count` counts through the one rate limiter
(app/services/ratelimit.py: fixed windows aligned to China time, one round trip, per-process fallback
while Redis is down); `check` joins them. Subjects are keyed hashes: neither the number nor the name
reaches the store in clear.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.pii import PiiCipher
from app.integrations.kvstore import KVStore
from app.services import ratelimit
from app.services.ratelimit import Hit, Rule

SENDER, PAIR, NUMBER = "sender", "pair", "number"
LIMITS = {
    SENDER: Rule("query:openid", limit=20, window=600),  # lookups per sender per 10 minutes
    # different names one sender tries for one number per (China) day
    PAIR: Rule("query:pair", limit=5, window=86400, distinct=True),
    # different names everybody tries for one number per day: only many senders together reach it
    NUMBER: Rule("query:number", limit=50, window=86400, distinct=True),
}


@dataclass(frozen=True)
class Counts:
    """This lookup counted: the sender's lookups, names tried by the sender and by everybody (0: not counted)."""

    sender: int
    pair: int = 0
    number: int = 0


@dataclass(frozen=True)
class LimitHit:
    """Which limit refused the lookup and how many seconds until it lets the sender try again."""

    scope: str
    retry_after: float

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, at least 1."""
        return max(1, math.ceil(self.retry_after / 60))


def decide(counts: Counts, own_number: bool) -> str | None:
    """The limit that refuses this lookup (SENDER, PAIR or NUMBER), or None to let it through.

    `own_number`: the sender is the verified holder of this number (bound in 我的证书).
    """
    if own_number:
        return None
    for scope, counted in ((SENDER, counts.sender), (PAIR, counts.pair), (NUMBER, counts.number)):
        if counted > LIMITS[scope].limit:
            return scope
    return None


def _hits(pii: PiiCipher, sender: str, number: str, name: str) -> list[Hit]:
    """The three limits for this lookup, in the order they are counted (the number only as a keyed hash)."""
    number_key, name_key = pii.blind_index("rate-number", number), pii.blind_index("rate-name", name)
    return [Hit(LIMITS[SENDER], sender),
            Hit(LIMITS[PAIR], pii.blind_index("rate-pair", sender, number_key), name_key),
            Hit(LIMITS[NUMBER], number_key, name_key)]


def count(store: KVStore, now: datetime, hits: list[Hit]) -> tuple[Counts, dict[str, float]]:
    """Count one lookup, stopping at the first limit it passes (later ones are left alone); the
    counts and, per limit counted, the seconds left in its window."""
    taken = ratelimit.count(store, now, *hits)
    values = [counted for counted, _left in taken]
    left = {scope: seconds for scope, (_counted, seconds) in zip((SENDER, PAIR, NUMBER), taken, strict=False)}
    return Counts(*values), left


def check(store: KVStore, pii: PiiCipher, now: datetime, sender: str, number: str, name: str,
          own_number: Callable[[], bool] | None = None) -> LimitHit | None:
    """Count this lookup; the limit that refuses it, if any.

    `own_number` is asked only when a limit would refuse (it reads the database): whether the sender
    is the verified holder of `number`.
    """
    counts, left = count(store, now, _hits(pii, sender, number, name))
    scope = decide(counts, own_number=False)
    if scope is None or (own_number is not None and decide(counts, own_number()) is None):
        return None
    return LimitHit(scope, left[scope])


# --- What the sender is told: when to try again and whom to call ---------------------------------
MESSAGES = {
    SENDER: "您查询过于频繁，请在{when}后再试。如需帮助，请联系证书上的签发机关。",
    PAIR: ("您已用多个不同的姓名查询这个号码，为保护持证人信息，请在{when}后再试。"
           "姓名须与证书上的完全一致。持证人本人在【我的证书】完成实名认证后，查询自己的证书不受此限制。"
           "如有疑问，请联系证书上的签发机关。"),
    NUMBER: ("这个号码今天已被多人用不同的姓名查询，为保护持证人信息，暂停查询，请在{when}后再试。"
             "持证人本人在【我的证书】完成实名认证后，查询自己的证书不受此限制；"
             "如怀疑有人冒用您的信息，请联系证书上的签发机关。"),
}


def retry_when(now: datetime, seconds: float) -> str:
    """`今天14:35（约25分钟）`: the clock time to try again and roughly how long that is."""
    at = now + timedelta(seconds=math.ceil(seconds / 60) * 60)
    days = (at.date() - now.date()).days
    day = {0: "今天", 1: "明天"}.get(days, f"{at.month}月{at.day}日")
    minutes = max(1, math.ceil(seconds / 60))
    span = f"{minutes}分钟" if minutes < 60 else f"{math.ceil(minutes / 60)}小时"
    return f"{day}{at:%H:%M}（约{span}）"


def message(hit: LimitHit, now: datetime) -> str:
    """The Chinese sentence for a refused lookup."""
    return MESSAGES[hit.scope].format(when=retry_when(now, hit.retry_after))
