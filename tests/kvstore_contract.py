"""Behaviour every KVStore must share (MemoryStore in unit tests, RedisStore against the real Redis)."""

from __future__ import annotations

from app.integrations.kvstore import KVStore


def claim_and_read_claims_once_and_reads_the_other_key(store: KVStore) -> None:
    store.set("state", "query")
    assert store.claim_and_read("msg:1", 300, "state") == (True, b"query")
    assert store.claim_and_read("msg:1", 300, "state") == (False, b"query")
    assert 0 < (store.ttl("msg:1") or 0) <= 300
    assert store.claim_and_read("msg:2", 300, "missing") == (True, None)


def count_hits_counts_in_order_and_stops_after_the_first_over_its_limit(store: KVStore) -> None:
    steps = [("tries", "", 2, 60.0), ("names", "张三", 3, 600.0)]
    assert store.count_hits(steps) == [1, 1]
    assert store.count_hits([("tries", "", 2, 60.0), ("names", "李四", 3, 600.0)]) == [2, 2]
    assert store.count_hits([("tries", "", 2, 60.0), ("names", "王五", 3, 600.0)]) == [3]  # over: stop
    assert store.count_hits([("names", "张三", 3, 600.0)]) == [2]  # a member counts once; 王五 was never added
    assert 0 < (store.ttl("tries") or 0) <= 60 < (store.ttl("names") or 0) <= 600


def claim_and_read_with_a_binding_refuses_a_second_value(store: KVStore) -> None:
    assert store.claim_and_read("msg:1", 300, "state", bind=("nonce:a", "msg:1")) == (True, None)
    assert store.claim_and_read("msg:1", 300, "state", bind=("nonce:a", "msg:1")) == (False, None)
    assert store.claim_and_read("msg:2", 300, "state", bind=("nonce:a", "msg:2")) == (None, None)
    assert store.claim_and_read("msg:2", 300, "state") == (True, None)  # refused claims claimed nothing
