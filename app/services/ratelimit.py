"""One rate limiter for every endpoint: fixed windows aligned to China time, counted in the store.

A `Rule` says "at most `limit` per `window` seconds, per subject". Windows start at China midnight
(and every `window` seconds after it), so a daily limit ends when the worker's day ends and the
reply can say "明天再试". The store counts a call's hits in one round trip, in order, and stops at
the first one over its limit: later rules are not counted, so one sender over their own limit cannot
use up another subject's allowance. While Redis is down the app's FallbackStore counts in process
memory: the same numbers per process (docs/resilience.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from app.clock import CHINA
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore

CHINA_UTC_OFFSET = 8 * 3600  # China Standard Time all year (no daylight saving since 1991)
EXPIRY_GRACE = 60  # seconds a counter outlives its window (clock differences between instances)


@dataclass(frozen=True)
class Rule:
    """At most `limit` hits per `window` seconds per subject; `distinct` counts distinct members."""

    scope: str
    limit: int
    window: int
    distinct: bool = False


@dataclass(frozen=True)
class Hit:
    """One attempt to count: a subject under a rule (and, for a distinct rule, the member tried)."""

    rule: Rule
    subject: str
    member: str = ""


@dataclass(frozen=True)
class Refusal:
    """The rule that refused, and how long until its window ends."""

    rule: Rule
    retry_after: float

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, at least 1 (for the Chinese wording "请N分钟后再试")."""
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def seconds(self) -> int:
        """Whole seconds to wait, at least 1 (for a Retry-After header)."""
        return max(1, math.ceil(self.retry_after))


def window_of(now: datetime, seconds: int) -> tuple[int, float]:
    """The number of the window holding `now` and the seconds left in it (China wall-clock time)."""
    moment = now if now.tzinfo else now.replace(tzinfo=CHINA)  # a naive time is read as China time
    local = moment.timestamp() + CHINA_UTC_OFFSET
    index = math.floor(local / seconds)
    return index, (index + 1) * seconds - local


def count(store: KVStore, now: datetime, *hits: Hit) -> list[tuple[int, float]]:
    """Count these hits in order, stopping after the first over its limit; (count, seconds left in its
    window) of every hit taken."""
    windows = [window_of(now, hit.rule.window) for hit in hits]
    steps = [(rediskeys.rate(hit.rule.scope, index, hit.subject), hit.member if hit.rule.distinct else "",
              hit.rule.limit, left + EXPIRY_GRACE) for hit, (index, left) in zip(hits, windows, strict=True)]
    counts = store.count_hits(steps)
    return [(counted, left) for counted, (_index, left) in zip(counts, windows, strict=False)]


def check(store: KVStore, now: datetime, *hits: Hit) -> Refusal | None:
    """Count these hits in order; the first over its limit refuses (later ones are not counted)."""
    for hit, (counted, left) in zip(hits, count(store, now, *hits), strict=False):
        if counted > hit.rule.limit:
            return Refusal(hit.rule, left)
    return None


def spent(store: KVStore, now: datetime, hit: Hit) -> Refusal | None:
    """Whether the subject has used up a counting rule this window, without counting a hit (a gate
    in front of a rule counted only on some requests, e.g. unknown links)."""
    if hit.rule.distinct:
        raise ValueError("spent() reads counters only, not distinct sets")
    index, left = window_of(now, hit.rule.window)
    value = store.get(rediskeys.rate(hit.rule.scope, index, hit.subject))
    return Refusal(hit.rule, left) if value is not None and int(value) >= hit.rule.limit else None
