"""A tiny key-value store interface with an in-process and a Redis implementation.

Everything that must be shared between app instances (WeChat access token, message
de-duplication, conversation state, rate limits, render cache) goes through this
interface, so a single-process development server works with no Redis at all and a
production deployment behind a load balancer shares one Redis. In production the Redis store
is wrapped in a `FallbackStore` (app/integrations/fallbackstore.py): while Redis does not answer,
each process carries on with its own memory (docs/resilience.md says what that means for each use).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

# One rate-limit hit: (key, member, limit, ttl seconds). An empty member counts the hit on a counter;
# a member counts distinct members of a set (e.g. names tried for one ID number).
CountStep = tuple[str, str, int, float]


class LockTimeout(Exception):
    """Raised when a lock could not be acquired in time."""


class StoreUnavailable(Exception):
    """The shared store did not answer in time (down, frozen or unreachable)."""


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

    def claim_and_read(self, key: str, ttl: float, read_key: str,
                       bind: tuple[str, str] | None = None) -> tuple[bool | None, bytes | None]:
        """In one round trip: set `key` if absent (with ttl), and read `read_key`.

        With `bind=(bind_key, value)`, first set bind_key to value if absent (same ttl); when it already
        holds another value nothing is claimed and the first result is None (refused).
        Returns whether this caller claimed `key` (None: refused), and the value of `read_key`.
        """
        ...

    def count_hits(self, hits: Sequence[CountStep]) -> list[int]:
        """In one round trip, count each hit in order and stop after the first one over its limit.

        Returns the count of every hit taken (a counter's value, or a set's size); a key's ttl is set
        when the key is created.
        """
        ...

    def ttl(self, key: str) -> float | None:
        """Seconds left before the key expires (None if absent or without expiry)."""
        ...

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        """Hold an exclusive lock shared by every process using this store."""
        ...

    def ping(self) -> bool:
        """Whether the shared store answers now (readiness); raises StoreUnavailable when it does not."""
        ...

    @property
    def degraded(self) -> bool:
        """True while a FallbackStore answers from process memory because Redis does not answer."""
        ...


def encoded(value: bytes | str) -> bytes:
    """Values are bytes; text is stored as UTF-8."""
    return value.encode() if isinstance(value, str) else value


class MemoryStore:
    """In-process store for a single-process development server, unit tests and the Redis fallback."""

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
            self._data[key] = (encoded(value), self._expiry(ttl))
            return True

    def delete(self, key: str) -> None:
        with self._mutex:
            self._data.pop(key, None)

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        with self._mutex:
            if self._live(key) == encoded(expected):
                del self._data[key]
                return True
            return False

    def claim_and_read(self, key: str, ttl: float, read_key: str,
                       bind: tuple[str, str] | None = None) -> tuple[bool | None, bytes | None]:
        with self._mutex:
            if bind is not None and not self.set(bind[0], bind[1], ttl=ttl, nx=True) \
                    and self.get(bind[0]) != encoded(bind[1]):
                return None, self.get(read_key)
            return self.set(key, "1", ttl=ttl, nx=True), self.get(read_key)

    def count_hits(self, hits: Sequence[CountStep]) -> list[int]:
        with self._mutex:
            counts: list[int] = []
            for key, member, limit, ttl in hits:
                counts.append(self._count(key, member, ttl))
                if counts[-1] > limit:
                    break
            return counts

    def _count(self, key: str, member: str, ttl: float) -> int:
        """One hit: +1 on a counter, or `member` added to a set; the ttl starts when the key is made."""
        current = self._live(key)
        expires = self._data[key][1] if current is not None else self._expiry(ttl)
        if member:
            members = current if isinstance(current, set) else set()
            members.add(member)
            self._data[key] = (members, expires)
            return len(members)
        count = int(current) + 1 if isinstance(current, bytes) else 1
        self._data[key] = (str(count).encode(), expires)
        return count

    def ttl(self, key: str) -> float | None:
        with self._mutex:
            if self._live(key) is None:
                return None
            expires = self._data[key][1]
            return None if expires is None else expires - self._clock()

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        return token_lock(self, key, timeout, wait, poll=0.01)

    def ping(self) -> bool:
        return True

    @property
    def degraded(self) -> bool:
        return False


@contextmanager
def token_lock(store: KVStore, key: str, timeout: float, wait: float, poll: float) -> Iterator[None]:
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


def open_store(url: str, timeout: float = 0.25, retry_interval: float = 1.0) -> KVStore:
    """An empty URL means the in-process store (single-process development only).

    Otherwise Redis with short timeouts behind a FallbackStore, so a dead or frozen Redis costs at
    most `timeout` seconds once per `retry_interval` per process, never an error page.
    """
    if not url:
        return MemoryStore()
    from app.integrations.fallbackstore import FallbackStore
    from app.integrations.redisstore import RedisStore

    return FallbackStore(RedisStore.from_url(url, timeout), MemoryStore(), retry_interval)
