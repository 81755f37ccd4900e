"""The shared store while it answers, this process's own memory while it does not.

A circuit breaker in front of Redis: the first failure switches this process to its MemoryStore for
`retry_interval` seconds, so a dead or frozen Redis is not waited on by every request; then one
caller probes Redis again (the others stay local until the probe succeeds). Recovery needs no
restart. What each use of the store means while it runs on local memory is in docs/resilience.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TypeVar

from app.integrations.kvstore import CountStep, KVStore, MemoryStore, StoreUnavailable, token_lock

log = logging.getLogger(__name__)
T = TypeVar("T")


class FallbackStore:
    """KVStore over a shared store with a per-process fallback and a circuit breaker."""

    def __init__(self, shared: KVStore, local: MemoryStore | None = None, retry_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.local = local or MemoryStore()
        self.retry_interval = retry_interval
        self._clock = clock
        self._mutex = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    @property
    def degraded(self) -> bool:
        """True while calls are answered from local memory (the shared store failed)."""
        return self._down_since is not None

    def _may_try_shared(self) -> bool:
        """Closed breaker: yes. Open: only one caller per retry_interval probes the shared store."""
        with self._mutex:
            if self._down_since is None:
                return True
            now = self._clock()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_interval
            return True

    def _failed(self, exc: StoreUnavailable) -> None:
        with self._mutex:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
                log.warning("store: shared store unavailable (%s); this process uses its own memory", exc)
            self._retry_at = now + self.retry_interval

    def _answered(self) -> None:
        if self._down_since is None:
            return
        with self._mutex:
            if self._down_since is not None:
                log.warning("store: shared store answers again after %.1f s", self._clock() - self._down_since)
                self._down_since = None

    def _use(self, operation: Callable[[KVStore], T]) -> T:
        """Run on the shared store when allowed and answering, else on local memory."""
        if self._may_try_shared():
            try:
                result = operation(self.shared)
            except StoreUnavailable as exc:
                self._failed(exc)
            else:
                self._answered()
                return result
        return operation(self.local)

    def get(self, key: str) -> bytes | None:
        return self._use(lambda store: store.get(key))

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        return self._use(lambda store: store.set(key, value, ttl=ttl, nx=nx))

    # A value may have been written to local memory during an outage and be released after it
    # (a lock, an OAuth state): deleting also looks in local memory.
    def delete(self, key: str) -> None:
        self._use(lambda store: store.delete(key))
        self.local.delete(key)

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        deleted = self._use(lambda store: store.delete_if_equals(key, expected))
        return self.local.delete_if_equals(key, expected) or deleted

    def claim_and_read(self, key: str, ttl: float, read_key: str,
                       bind: tuple[str, str] | None = None) -> tuple[bool | None, bytes | None]:
        return self._use(lambda store: store.claim_and_read(key, ttl, read_key, bind))

    def count_hits(self, hits: Sequence[CountStep]) -> list[int]:
        return self._use(lambda store: store.count_hits(hits))

    def ttl(self, key: str) -> float | None:
        return self._use(lambda store: store.ttl(key))

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        # Each poll goes through the breaker: a lock wanted while Redis dies is taken locally.
        return token_lock(self, key, timeout, wait, poll=0.02)

    def ping(self) -> bool:
        """Ask the shared store itself, whatever the breaker says (readiness)."""
        try:
            answer = self.shared.ping()
        except StoreUnavailable as exc:
            self._failed(exc)
            raise
        self._answered()
        return answer
