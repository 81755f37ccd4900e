"""Behaviour every KVStore must share (MemoryStore in unit tests, RedisStore against the real Redis)."""

from __future__ import annotations

from app.integrations.kvstore import KVStore


def claim_and_read_claims_once_and_reads_the_other_key(store: KVStore) -> None:
    store.set("state", "query")
    assert store.claim_and_read("msg:1", 300, "state") == (True, b"query")
    assert store.claim_and_read("msg:1", 300, "state") == (False, b"query")
    assert 0 < (store.ttl("msg:1") or 0) <= 300
    assert store.claim_and_read("msg:2", 300, "missing") == (True, None)


def count_then_add_stops_adding_once_the_counter_is_over_its_limit(store: KVStore) -> None:
    assert store.count_then_add("tries", 60, 2, "names", "张三", 600) == (1, 1)
    assert store.count_then_add("tries", 60, 2, "names", "李四", 600) == (2, 2)
    assert store.count_then_add("tries", 60, 2, "names", "王五", 600) == (3, 0)  # over: nothing added
    assert store.add_to_set("names", "张三", ttl=600) == 2
    assert 0 < (store.ttl("tries") or 0) <= 60 < (store.ttl("names") or 0) <= 600
