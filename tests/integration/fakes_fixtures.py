"""Fixtures for the WeChat/FaceID clients: loopback fakes, settings pointing at them, real Redis.

Import what a module uses explicitly, e.g.
`from tests.integration.fakes_fixtures import fake_wechat, wechat_settings  # noqa: F401`.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from app.config import FaceIdSettings, Settings, WechatSettings, replace
from app.devtools.fake_faceid import FakeFaceIdState, create_fake_faceid_app
from app.devtools.fake_wechat import FakeWeChatState, create_fake_wechat_app
from app.devtools.loopback import LoopbackServer, serve_in_thread
from app.integrations.kvstore import MemoryStore
from app.integrations.redisstore import RedisStore
from tests.services import REDIS_URL

APP_ID = "wxtest0000000001"
APP_SECRET = "test-app-secret"
FACEID_SECRET_ID = "AKIDtest"
FACEID_SECRET_KEY = "test-secret-key"


def require_redis() -> redis.Redis:
    """A connected client for TEST_REDIS_URL; skip with the reason, or fail when CI=true."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: Redis tests must run)")
        pytest.skip(message)
    return client


@pytest.fixture
def redis_store() -> Iterator[RedisStore]:
    """A RedisStore under a unique prefix; every key it made is deleted afterwards."""
    client = require_redis()
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    yield RedisStore(client, prefix=prefix)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@dataclass
class FakeWeChat:
    state: FakeWeChatState
    server: LoopbackServer


@dataclass
class FakeFaceId:
    state: FakeFaceIdState
    server: LoopbackServer


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    """The fake WeChat API/OAuth served on a loopback port."""
    state = FakeWeChatState(app_id=APP_ID, app_secret=APP_SECRET, hang_seconds=1.5)
    with serve_in_thread(create_fake_wechat_app(state)) as server:
        yield FakeWeChat(state, server)


@pytest.fixture
def wechat_settings(fake_wechat: FakeWeChat) -> WechatSettings:
    """WeChat settings pointing at the loopback fake, with a short timeout."""
    base = fake_wechat.server.url + "/"
    return dataclasses.replace(WechatSettings(), app_id=APP_ID, app_secret=APP_SECRET, api_base_url=base,
                               oauth_base_url=base, use_stable_token=True, timeout=0.5)


def talking_to(settings: Settings, fake: WechatSettings, **wechat: object) -> Settings:
    """`settings` whose WeChat client talks to the loopback fake (1 s timeout), with `wechat` changes."""
    return replace(settings, wechat={"app_id": fake.app_id, "app_secret": fake.app_secret,
                                     "api_base_url": fake.api_base_url, "timeout": 1.0, **wechat})


@pytest.fixture
def fake_faceid() -> Iterator[FakeFaceId]:
    """The fake FaceID API and liveness page served on a loopback port."""
    state = FakeFaceIdState(secret_id=FACEID_SECRET_ID, secret_key=FACEID_SECRET_KEY, hang_seconds=2.5)
    with serve_in_thread(create_fake_faceid_app(state)) as server:
        state.public_base = server.url
        yield FakeFaceId(state, server)


@pytest.fixture
def faceid_settings(fake_faceid: FakeFaceId) -> FaceIdSettings:
    """FaceID settings pointing the real SDK at the loopback fake (endpoint host:port, http)."""
    return dataclasses.replace(FaceIdSettings(), secret_id=FACEID_SECRET_ID, secret_key=FACEID_SECRET_KEY,
                               endpoint=f"127.0.0.1:{fake_faceid.server.port}", scheme="http", timeout=1)
