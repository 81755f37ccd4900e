"""A tiny key-value store interface with an in-process and a Redis implementation.

Everything that must be shared between app instances (WeChat access token, message
de-duplication, conversation state, rate limits, render cache) goes through this
interface, so a single-process development server works with no Redis at all and a
production deployment behind a load balancer shares one Redis.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import redis


class LockTimeout(Exception):
    """Raised when a lock could not be acquired in time."""


class KVStore(Protocol):
    """The operations the application needs; values are bytes (str is encoded as UTF-8)."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        """Store a value; with nx=True only if the key is absent. Returns whether it was stored."""
        ...

    def delete(self, key: str) -> None: ...

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        """Delete the key only if it still holds `expected` (compare-and-delete)."""
        ...

    def incr(self, key: str, ttl: float | None = None) -> int:
        """Increment a counter; the ttl is set when the counter is created."""
        ...

    def add_to_set(self, key: str, member: str, ttl: float | None = None) -> int:
        """Add a member to a set and return the set's size; ttl set when the set is created."""
        ...

    def claim_and_read(self, key: str, ttl: float, read_key: str) -> tuple[bool, bytes | None]:
        """In one round trip: set `key` if absent (with ttl), and read `read_key`.

        Returns whether this caller claimed `key`, and the value of `read_key`.
        """
        ...

    def count_then_add(self, counter: str, counter_ttl: float, limit: int, set_key: str, member: str,
                       set_ttl: float) -> tuple[int, int]:
        """In one round trip: count an attempt; unless the count is then over `limit`, add
        `member` to a set. Returns (count, set size); the size is 0 when the limit stopped it.
        """
        ...

    def ttl(self, key: str) -> float | None:
        """Seconds left before the key expires (None if absent or without expiry)."""
        ...

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        """Hold an exclusive lock shared by every process using this store."""
        ...


def _b(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


class MemoryStore:
    """In-process store for a single-process development server and unit tests."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._data: dict[str, tuple[object, float | None]] = {}
        self._mutex = threading.RLock()
        self._clock = clock or time.monotonic

    def _live(self, key: str) -> object | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def get(self, key: str) -> bytes | None:
        with self._mutex:
            value = self._live(key)
            return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        with self._mutex:
            if nx and self._live(key) is not None:
                return False
            self._data[key] = (_b(value), self._expiry(ttl))
            return True

    def delete(self, key: str) -> None:
        with self._mutex:
            self._data.pop(key, None)

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        with self._mutex:
            if self._live(key) == _b(expected):
                del self._data[key]
                return True
            return False

    def incr(self, key: str, ttl: float | None = None) -> int:
        with self._mutex:
            current = self._live(key)
            count = int(current) + 1 if isinstance(current, bytes) else 1
            expires = self._data[key][1] if current is not None else self._expiry(ttl)
            self._data[key] = (str(count).encode(), expires)
            return count

    def add_to_set(self, key: str, member: str, ttl: float | None = None) -> int:
        with self._mutex:
            current = self._live(key)
            if isinstance(current, set):
                current.add(member)
                return len(current)
            self._data[key] = ({member}, self._expiry(ttl))
            return 1

    def claim_and_read(self, key: str, ttl: float, read_key: str) -> tuple[bool, bytes | None]:
        with self._mutex:
            return self.set(key, "1", ttl=ttl, nx=True), self.get(read_key)

    def count_then_add(self, counter: str, counter_ttl: float, limit: int, set_key: str, member: str,
                       set_ttl: float) -> tuple[int, int]:
        with self._mutex:
            count = self.incr(counter, ttl=counter_ttl)
            return count, 0 if count > limit else self.add_to_set(set_key, member, ttl=set_ttl)

    def ttl(self, key: str) -> float | None:
        with self._mutex:
            if self._live(key) is None:
                return None
            expires = self._data[key][1]
            return None if expires is None else expires - self._clock()

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        return _token_lock(self, key, timeout, wait, poll=0.01)


# Compare-and-delete must be atomic across processes, hence a Lua script.
_DELETE_IF_EQUALS = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
_INCR_WITH_TTL = """
local n = redis.call('incr', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('pexpire', KEYS[1], ARGV[1]) end
return n
"""
_SADD_WITH_TTL = """
redis.call('sadd', KEYS[1], ARGV[1])
if redis.call('pttl', KEYS[1]) < 0 and tonumber(ARGV[2]) > 0 then redis.call('pexpire', KEYS[1], ARGV[2]) end
return redis.call('scard', KEYS[1])
"""


# Both keys of a call live on one Redis (no cluster slots to respect).
_COUNT_THEN_ADD = """
local n = redis.call('incr', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('pexpire', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return {n, 0} end
redis.call('sadd', KEYS[2], ARGV[3])
if redis.call('pttl', KEYS[2]) < 0 and tonumber(ARGV[4]) > 0 then redis.call('pexpire', KEYS[2], ARGV[4]) end
return {n, redis.call('scard', KEYS[2])}
"""


def _ms(ttl: float | None) -> int:
    return 0 if ttl is None else max(1, int(ttl * 1000))


class RedisStore:
    """Redis-backed store shared by every app instance."""

    def __init__(self, client: redis.Redis, prefix: str = "ecert:") -> None:
        self.client = client
        self.prefix = prefix
        self._cad = client.register_script(_DELETE_IF_EQUALS)
        self._incr = client.register_script(_INCR_WITH_TTL)
        self._sadd = client.register_script(_SADD_WITH_TTL)
        self._count_then_add = client.register_script(_COUNT_THEN_ADD)

    @classmethod
    def from_url(cls, url: str, prefix: str = "ecert:") -> RedisStore:
        """Connect with short timeouts: a slow Redis must not eat WeChat's 5-second budget."""
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        value = self.client.get(self._k(key))
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        px = _ms(ttl) or None
        return bool(self.client.set(self._k(key), _b(value), px=px, nx=nx))

    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        return bool(self._cad(keys=[self._k(key)], args=[_b(expected)]))

    def incr(self, key: str, ttl: float | None = None) -> int:
        return int(self._incr(keys=[self._k(key)], args=[_ms(ttl)]))

    def add_to_set(self, key: str, member: str, ttl: float | None = None) -> int:
        return int(self._sadd(keys=[self._k(key)], args=[member, _ms(ttl)]))

    def claim_and_read(self, key: str, ttl: float, read_key: str) -> tuple[bool, bytes | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self._k(key), b"1", px=_ms(ttl), nx=True)
        pipe.get(self._k(read_key))
        claimed, value = pipe.execute()
        return bool(claimed), value if isinstance(value, bytes) else None

    def count_then_add(self, counter: str, counter_ttl: float, limit: int, set_key: str, member: str,
                       set_ttl: float) -> tuple[int, int]:
        count, size = self._count_then_add(keys=[self._k(counter), self._k(set_key)],
                                           args=[_ms(counter_ttl), limit, member, _ms(set_ttl)])
        return int(count), int(size)

    def ttl(self, key: str) -> float | None:
        ms = int(self.client.pttl(self._k(key)))
        return None if ms < 0 else ms / 1000

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        return _token_lock(self, key, timeout, wait, poll=0.02)


@contextmanager
def _token_lock(store: MemoryStore | RedisStore, key: str, timeout: float, wait: float,
                poll: float) -> Iterator[None]:
    """SET NX with a random token; released only by its holder, expiring if the holder dies."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while not store.set(f"lock:{key}", token, ttl=timeout, nx=True):
        if time.monotonic() > deadline:
            raise LockTimeout(key)
        time.sleep(poll)
    try:
        yield
    finally:
        store.delete_if_equals(f"lock:{key}", token)


def open_store(url: str) -> KVStore:
    """An empty URL means the in-process store (single-process development only)."""
    return RedisStore.from_url(url) if url else MemoryStore()
