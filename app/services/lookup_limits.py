"""Limits on looking a holder up by number + name (输入查询, a scanned bare number, the API).

Such a lookup can be turned into a search for who holds a certificate, so it is limited per sender
(a WeChat account or a client address) and per number (distinct names tried). A sender over their
own limit adds nothing to the number's count, so one sender cannot lock other people's numbers by
spraying names. Subjects are keyed hashes: neither the number nor the name reaches the store in clear.
Both rules are counted by the one rate limiter (app/services/ratelimit.py) in one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.pii import PiiCipher
from app.integrations.kvstore import KVStore
from app.services import ratelimit
from app.services.ratelimit import Hit, Rule

BY_SENDER = Rule("query:openid", limit=20, window=600)  # lookups per sender per 10 minutes
NAMES_PER_NUMBER = Rule("query:number", limit=3, window=3600, distinct=True)  # distinct names per hour


@dataclass(frozen=True)
class LimitHit:
    """Which limit refused the lookup and for how many more minutes."""

    scope: str  # "sender" or "number"
    minutes: int


def check(store: KVStore, pii: PiiCipher, now: datetime, sender: str, number: str, name: str) -> LimitHit | None:
    """Count this lookup; the limit it exceeds, if any."""
    refused = ratelimit.check(store, now, Hit(BY_SENDER, sender),
                              Hit(NAMES_PER_NUMBER, pii.blind_index("rate-number", number),
                                  pii.blind_index("rate-name", name)))
    if refused is None:
        return None
    return LimitHit("sender" if refused.rule is BY_SENDER else "number", refused.minutes)
