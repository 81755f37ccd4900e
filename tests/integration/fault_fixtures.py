"""Fixtures for dependency faults: the real Redis and MariaDB behind a proxy a test can cut or freeze.

Import what a module uses explicitly, e.g.
`from tests.integration.fault_fixtures import redis_proxy, proxied_store  # noqa: F401`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from app.integrations.fallbackstore import FallbackStore
from app.integrations.kvstore import MemoryStore
from app.integrations.redisstore import RedisStore
from tests.faultproxy import FaultProxy
from tests.integration.fakes_fixtures import require_redis
from tests.services import REDIS_URL

STORE_TIMEOUT = 0.2
RETRY_INTERVAL = 0.2


@pytest.fixture
def redis_proxy() -> Iterator[FaultProxy]:
    """A proxy in front of the test Redis."""
    require_redis()
    with FaultProxy(int(REDIS_URL.split(":")[2].split("/")[0])) as proxy:
        yield proxy


@pytest.fixture
def proxied_store(redis_proxy: FaultProxy) -> Iterator[FallbackStore]:
    """The app's store as open_store builds it, reaching Redis through the proxy (unique key prefix)."""
    url = f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_URL.rsplit('/', 1)[1]}"
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    store = FallbackStore(RedisStore.from_url(url, STORE_TIMEOUT, prefix=prefix), MemoryStore(), RETRY_INTERVAL)
    yield store
    direct = redis.Redis.from_url(REDIS_URL)
    keys = list(direct.scan_iter(match=prefix + "*"))
    if keys:
        direct.delete(*keys)
    direct.close()


def shared_keys(store: FallbackStore, pattern: str) -> list[bytes]:
    """Keys the store holds in the real Redis (read directly, not through the proxy)."""
    assert isinstance(store.shared, RedisStore)
    direct = redis.Redis.from_url(REDIS_URL)
    try:
        return list(direct.scan_iter(match=store.shared.prefix + pattern))
    finally:
        direct.close()


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` until it holds or `seconds` pass (a bound, not a measurement)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
