"""Limits on looking a holder up by number + name (输入查询, a scanned bare number, the API).

Such a lookup can be turned into a search for who holds a certificate, so it is limited per sender
(a WeChat account or a client address) and per number (distinct names tried). A sender over their
own limit adds nothing to the number's count, so one sender cannot lock other people's numbers by
spraying names. Subjects are keyed hashes: neither the number nor the name reaches the store in clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.pii import PiiCipher
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore

SENDER_LIMIT, SENDER_WINDOW = 20, 600  # lookups per sender per 10 minutes
NAMES_PER_NUMBER, NUMBER_WINDOW = 3, 3600  # distinct names tried for one number per hour


@dataclass(frozen=True)
class LimitHit:
    """Which limit refused the lookup and for how many more minutes."""

    scope: str  # "sender" or "number"
    minutes: int


def check(store: KVStore, pii: PiiCipher, sender: str, number: str, name: str) -> LimitHit | None:
    """Count this lookup; the limit it exceeds, if any (one round trip to the store)."""
    by_sender = rediskeys.rate("query:openid", sender)
    by_number = rediskeys.rate("query:number", pii.blind_index("rate-number", number))
    count, names = store.count_then_add(by_sender, SENDER_WINDOW, SENDER_LIMIT, by_number,
                                        pii.blind_index("rate-name", name), NUMBER_WINDOW)
    if count > SENDER_LIMIT:
        return LimitHit("sender", _minutes(store, by_sender))
    if names > NAMES_PER_NUMBER:
        return LimitHit("number", _minutes(store, by_number))
    return None


def _minutes(store: KVStore, key: str) -> int:
    """Whole minutes until a limit's key expires (at least 1)."""
    left = store.ttl(key) or 60
    return max(1, int(left + 59) // 60)
