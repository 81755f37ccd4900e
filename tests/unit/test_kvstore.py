"""MemoryStore: the in-process KVStore used by the single-process dev server and unit tests."""

from __future__ import annotations

import threading

import pytest

from app.integrations.kvstore import LockTimeout, MemoryStore
from tests import kvstore_contract as contract


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


def test_get_returns_bytes_and_str_is_encoded(store: MemoryStore) -> None:
    store.set("k", "证书")
    assert store.get("k") == "证书".encode()
    assert store.get("missing") is None


def test_set_nx_does_not_overwrite_a_live_key(store: MemoryStore) -> None:
    assert store.set("k", "first", nx=True)
    assert not store.set("k", "second", nx=True)
    assert store.get("k") == b"first"


def test_a_key_disappears_when_its_ttl_passes(store: MemoryStore, clock: FakeClock) -> None:
    store.set("k", "v", ttl=10)
    assert store.ttl("k") == pytest.approx(10)
    clock.now += 10
    assert store.get("k") is None
    assert store.ttl("k") is None
    assert store.set("k", "again", nx=True)


def test_delete_if_equals_only_deletes_the_expected_value(store: MemoryStore) -> None:
    store.set("token", "new")
    assert not store.delete_if_equals("token", "old")
    assert store.get("token") == b"new"
    assert store.delete_if_equals("token", b"new")
    assert store.get("token") is None


def test_a_counter_keeps_the_ttl_it_was_created_with(store: MemoryStore, clock: FakeClock) -> None:
    assert [store.count_hits([("c", "", 10, 60)])[0] for _ in range(3)] == [1, 2, 3]
    clock.now += 30
    store.count_hits([("c", "", 10, 60)])
    assert store.ttl("c") == pytest.approx(30)
    clock.now += 30
    assert store.count_hits([("c", "", 10, 60)]) == [1]


def test_lock_is_exclusive_and_times_out(store: MemoryStore) -> None:
    first, second = store.lock("refresh", timeout=5, wait=0.05), store.lock("refresh", timeout=5, wait=0.05)
    with first, pytest.raises(LockTimeout), second:
        pass
    with store.lock("refresh", timeout=5, wait=0.05):
        pass


def test_concurrent_increments_are_not_lost() -> None:
    store = MemoryStore()
    def count() -> None:
        for _ in range(200):
            store.count_hits([("n", "", 10**6, 60)])

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("n") == b"1600"


def test_claim_and_read_claims_once_and_reads_the_other_key(store: MemoryStore) -> None:
    contract.claim_and_read_claims_once_and_reads_the_other_key(store)


def test_count_hits_counts_in_order_and_stops_after_the_first_over_its_limit(store: MemoryStore) -> None:
    contract.count_hits_counts_in_order_and_stops_after_the_first_over_its_limit(store)


def test_claim_and_read_with_a_binding_refuses_a_second_value(store: MemoryStore) -> None:
    contract.claim_and_read_with_a_binding_refuses_a_second_value(store)
