"""FallbackStore: the shared store while it answers, this process's memory while it does not."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

import pytest

from app.integrations.fallbackstore import FallbackStore
from app.integrations.kvstore import CountStep, MemoryStore, StoreUnavailable


class FlakyStore(MemoryStore):
    """A shared store that can be switched off; counts the calls that reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    def _reach(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("ConnectionError")

    def get(self, key: str) -> bytes | None:
        self._reach()
        return super().get(key)

    def set(self, key: str, value: bytes | str, ttl: float | None = None, nx: bool = False) -> bool:
        self._reach()
        return super().set(key, value, ttl, nx)

    def delete_if_equals(self, key: str, expected: bytes | str) -> bool:
        self._reach()
        return super().delete_if_equals(key, expected)

    def count_hits(self, hits: Sequence[CountStep]) -> list[int]:
        self._reach()
        return super().count_hits(hits)

    def ping(self) -> bool:
        self._reach()
        return True

    def lock(self, key: str, timeout: float = 10.0, wait: float = 5.0) -> AbstractContextManager[None]:
        raise AssertionError("FallbackStore takes its locks through get/set")


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shared() -> FlakyStore:
    return FlakyStore()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def store(shared: FlakyStore, ticks: Ticks) -> FallbackStore:
    return FallbackStore(shared, MemoryStore(), retry_interval=1.0, clock=ticks)


def test_while_the_shared_store_answers_everything_goes_there(store: FallbackStore, shared: FlakyStore) -> None:
    store.set("k", "v")
    assert shared.get("k") == b"v" and store.local.get("k") is None
    assert not store.degraded


def test_a_failed_call_is_answered_from_local_memory(store: FallbackStore, shared: FlakyStore) -> None:
    shared.down = True
    assert store.set("k", "v") is True
    assert store.get("k") == b"v"
    assert store.degraded


def test_after_a_failure_the_shared_store_is_not_asked_again_until_the_retry_interval(
        store: FallbackStore, shared: FlakyStore, ticks: Ticks) -> None:
    shared.down = True
    store.get("k")
    for _ in range(50):
        store.get("k")
    assert shared.calls == 1  # a dead Redis costs one timeout per retry interval, not one per call
    ticks.now += 1.0
    store.get("k")
    store.get("k")
    assert shared.calls == 2  # one probe; the others stay local while it runs


def test_the_shared_store_is_used_again_as_soon_as_a_probe_succeeds(
        store: FallbackStore, shared: FlakyStore, ticks: Ticks) -> None:
    shared.down = True
    store.set("k", "local")
    shared.down = False
    ticks.now += 1.0
    store.set("k", "shared")
    assert not store.degraded
    assert shared.get("k") == b"shared"


def test_rate_limits_count_per_process_while_the_shared_store_is_down(
        store: FallbackStore, shared: FlakyStore) -> None:
    shared.down = True
    counts = [store.count_hits([("rate:x", "", 3, 60)]) for _ in range(4)]
    assert counts == [[1], [2], [3], [4]]  # the same limit applies, counted in this process


def test_a_lock_is_taken_locally_while_the_shared_store_is_down(store: FallbackStore, shared: FlakyStore) -> None:
    shared.down = True
    with store.lock("refresh", timeout=5, wait=0.05):
        assert store.local.get("lock:refresh") is not None
    assert store.local.get("lock:refresh") is None


def test_ping_asks_the_shared_store_whatever_the_breaker_says(store: FallbackStore, shared: FlakyStore) -> None:
    shared.down = True
    store.get("k")
    with pytest.raises(StoreUnavailable):
        store.ping()
    shared.down = False
    assert store.ping() and not store.degraded


def test_a_value_written_locally_during_an_outage_can_be_released_after_it(
        store: FallbackStore, shared: FlakyStore, ticks: Ticks) -> None:
    shared.down = True
    store.set("oauth:state:s", "1")
    shared.down = False
    ticks.now += 1.0
    assert store.delete_if_equals("oauth:state:s", "1")
    assert not store.delete_if_equals("oauth:state:s", "1")
