"""The Redis implementation of KVStore: one shared store for every app instance.

Every Redis error (refused connection, timeout, a server still loading) is raised as
`StoreUnavailable`, so callers and `FallbackStore` deal with one exception. redis-py 8 retries a
failed command ten times with back-off by default; a frozen Redis would then cost seconds per call,
so retries are off and the socket timeouts are short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.integrations.kvstore import CountStep, StoreUnavailable, encoded, token_lock

T = TypeVar("T")

# Compare-and-delete must be atomic across processes, hence a Lua script.
_DELETE_IF_EQUALS = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
# KEYS: claim, read[, bind]. ARGV: ttl ms[, bind value]. Returns {claimed (1/0, -1 refused), value}.
_CLAIM_AND_READ = """
if KEYS[3] then
  if not redis.call('set', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[1]) and redis.call('get', KEYS[3]) ~= ARGV[2] then
    return {-1, redis.call('get', KEYS[2])}
  end
end
local claimed = redis.call('set', KEYS[1], '1', 'NX', 'PX', ARGV[1])
return {claimed and 1 or 0, redis.call('get', KEYS[2])}
"""
# One rate-limit step per key: ARGV holds (member, limit, ttl ms) triples. Every key of a call lives
# on one Redis (no cluster slots to respect).
_COUNT_HITS = """
local counts = {}
for i, key in ipairs(KEYS) do
  local member, limit, ttl = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local n
  if member == '' then
    n = redis.call('incr', key)
  else
    redis.call('sadd', key, member)
    n = redis.call('scard', key)
  end
  if redis.call('pttl', key) < 0 then redis.call('pexpire', key, ttl) end
  counts[i] = n
  if n > limit then break end
end
return counts
"""


def _ms(ttl: float | None) -> int:
    return 0 if ttl is None else max(1, int(ttl * 1000))


class RedisStore:
    """Redis-backed store shared by every app instance."""

    def __init__(self, client: redis.Redis, prefix: str = "ecert:") -> None:
        self.client = client
        self.prefix = prefix
        self._cad = client.register_script(_DELETE_IF_EQUALS)
        self._claim = client.register_script(_CLAIM_AND_READ)
        self._count_hits = client.register_script(_COUNT_HITS)

    @classmethod
    def from_url(cls, url: str, timeout: float = 0.25, prefix: str = "ecert:") -> RedisStore:
        """Connect with short timeouts and no retries: a slow Redis must not eat WeChat's 5 seconds."""
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def _call(self, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one command, reporting any Redis failure as StoreUnavailable."""
        try:
            return command(*args, **kwargs)
        except redis.RedisError as exc:
            raise StoreUnavailable(type(exc).__name__) from None

    def get(self, key: str) -> bytes | None:
        value = self._call(self.client.get, self._k(key))
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        px = _ms(ttl) or None
        return bool(self._call(self.client.set, self._k(key), encoded(value), px=px, nx=nx))

    def delete(self, key: str) -> None:
        self._call(self.client.delete, self._k(key))

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        return bool(self._call(self._cad, keys=[self._k(key)], args=[encoded(expected)]))

    def claim_and_read(self, key: str, ttl: float, read_key: str,
                       bind: tuple[str, str] | None = None) -> tuple[bool | None, bytes | None]:
        keys = [self._k(key), self._k(read_key)] + ([self._k(bind[0])] if bind else [])
        args: list[Any] = [_ms(ttl)] + ([encoded(bind[1])] if bind else [])
        result = self._call(self._claim, keys=keys, args=args)
        claimed = int(result[0])
        value = result[1] if len(result) > 1 else None  # Lua drops a trailing nil from a table
        return (None if claimed < 0 else bool(claimed)), value if isinstance(value, bytes) else None

    def count_hits(self, hits: Sequence[CountStep]) -> list[int]:
        args: list[Any] = [part for _key, member, limit, ttl in hits for part in (member, limit, _ms(ttl))]
        counts = self._call(self._count_hits, keys=[self._k(key) for key, *_ in hits], args=args)
        return [int(count) for count in counts]

    def ttl(self, key: str) -> float | None:
        ms = int(self._call(self.client.pttl, self._k(key)))
        return None if ms < 0 else ms / 1000

    def ping(self) -> bool:
        """Whether Redis answers (readiness)."""
        return bool(self._call(self.client.ping))

    @property
    def degraded(self) -> bool:
        return False

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        return token_lock(self, key, timeout, wait, poll=0.02)
