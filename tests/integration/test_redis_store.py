"""RedisStore against the real Redis: the same contract as MemoryStore, shared between clients."""

# Fixtures are imported explicitly from fakes_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import threading
import time

import pytest

from app.integrations.kvstore import LockTimeout
from app.integrations.redisstore import RedisStore
from tests import kvstore_contract as contract
from tests.integration.fakes_fixtures import redis_store, require_redis  # noqa: F401

pytestmark = pytest.mark.redis


def test_values_round_trip_as_bytes(redis_store: RedisStore) -> None:
    redis_store.set("k", "证书")
    assert redis_store.get("k") == "证书".encode()
    assert redis_store.get("missing") is None


def test_keys_live_under_the_store_prefix(redis_store: RedisStore) -> None:
    redis_store.set("k", "v")
    assert redis_store.client.get(redis_store.prefix + "k") == b"v"


def test_set_nx_and_ttl(redis_store: RedisStore) -> None:
    assert redis_store.set("k", "first", ttl=5, nx=True)
    assert not redis_store.set("k", "second", nx=True)
    assert redis_store.get("k") == b"first"
    assert 4 < (redis_store.ttl("k") or 0) <= 5
    redis_store.set("short", "v", ttl=0.1)
    time.sleep(0.2)
    assert redis_store.get("short") is None


def test_delete_if_equals_is_compare_and_delete(redis_store: RedisStore) -> None:
    redis_store.set("token", "new")
    assert not redis_store.delete_if_equals("token", "old")
    assert redis_store.get("token") == b"new"
    assert redis_store.delete_if_equals("token", "new")
    assert redis_store.get("token") is None


def test_a_counter_keeps_the_ttl_it_was_created_with(redis_store: RedisStore) -> None:
    assert redis_store.count_hits([("c", "", 10, 60)]) == [1]
    redis_store.client.pexpire(redis_store.prefix + "c", 30_000)
    assert redis_store.count_hits([("c", "", 10, 60)]) == [2]
    assert (redis_store.ttl("c") or 0) <= 30


def test_claim_and_read_claims_once_and_reads_the_other_key(redis_store: RedisStore) -> None:
    contract.claim_and_read_claims_once_and_reads_the_other_key(redis_store)


def test_count_hits_counts_in_order_and_stops_after_the_first_over_its_limit(redis_store: RedisStore) -> None:
    contract.count_hits_counts_in_order_and_stops_after_the_first_over_its_limit(redis_store)


def test_claim_and_read_with_a_binding_refuses_a_second_value(redis_store: RedisStore) -> None:
    contract.claim_and_read_with_a_binding_refuses_a_second_value(redis_store)


def test_lock_excludes_a_second_client(redis_store: RedisStore) -> None:
    other = RedisStore(require_redis(), prefix=redis_store.prefix)
    held = redis_store.lock("refresh", timeout=5, wait=0.1)
    wanted = other.lock("refresh", timeout=5, wait=0.1)
    with held, pytest.raises(LockTimeout), wanted:
        pass
    with other.lock("refresh", timeout=5, wait=0.1):
        pass


def test_an_abandoned_lock_expires(redis_store: RedisStore) -> None:
    redis_store.set("lock:refresh", "crashed-holder", ttl=0.2)
    with redis_store.lock("refresh", timeout=5, wait=1):
        pass


def test_concurrent_increments_from_many_clients_are_not_lost(redis_store: RedisStore) -> None:
    stores = [RedisStore(require_redis(), prefix=redis_store.prefix) for _ in range(8)]
    def count(store: RedisStore) -> None:
        for _ in range(100):
            store.count_hits([("n", "", 10**6, 60)])

    threads = [threading.Thread(target=count, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redis_store.get("n") == b"800"
