"""Redis down or frozen: every answer still comes, limits hold per process, and Redis is used again
as soon as it is back (no restart). The store reaches the real Redis through a proxy the test breaks.
"""
# Fixtures are imported explicitly, so F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.clock import FixedClock
from app.config import FaceIdSettings, Settings, WechatSettings, replace
from app.integrations.fallbackstore import FallbackStore
from app.services.seed import DemoPerson
from app.web.verify import API_CALLS
from tests.faultproxy import FaultProxy
from tests.integration.fakes_fixtures import (  # noqa: F401
    FakeFaceId,
    FakeWeChat,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    wechat_settings,
)
from tests.integration.fault_fixtures import eventually, proxied_store, redis_proxy, shared_keys  # noqa: F401
from tests.integration.h5_fixtures import Worker
from tests.integration.webhook_fixtures import VALID, CountingVerifier, holders  # noqa: F401
from tests.wechat_helper import WeChatServer

pytestmark = pytest.mark.redis


@pytest.fixture(params=["cut", "freeze"])
def fault(request: pytest.FixtureRequest) -> str:
    """How Redis fails: it crashed (connections reset, refused) or it was stopped (SIGSTOP: silence)."""
    return str(request.param)


@pytest.fixture
def proxied_app(settings: Settings, clock: FixedClock, proxied_store: FallbackStore,
                wechat_settings: WechatSettings, faceid_settings: FaceIdSettings) -> Iterator[Flask]:
    """The app over the test database, its store on the proxied Redis, its WeChat the loopback fake."""
    configured = replace(settings, wechat=dataclasses.asdict(wechat_settings),
                         faceid=dataclasses.asdict(faceid_settings))
    app = create_app(configured, store=proxied_store, clock=clock)
    yield app
    app.extensions["db"].engine.dispose()


def _break(proxy: FaultProxy, fault: str) -> None:
    getattr(proxy, fault)()


def _verify(app: Flask) -> tuple[int, str]:
    res = app.test_client().post("/api/verify", json={"text": "https://example.com/x"})
    return res.status_code, res.headers.get("Retry-After", "")


def test_a_query_is_answered_while_redis_is_down(proxied_app: Flask, redis_proxy: FaultProxy, fault: str,
                                                 holders: dict[str, DemoPerson]) -> None:
    holder = holders[VALID]
    wechat = WeChatServer(proxied_app.test_client(), proxied_app.config["SETTINGS"])
    _break(redis_proxy, fault)
    assert "证件号码 姓名" in wechat.click("o-worker", "QUERY_INPUT").text
    text = wechat.send_text("o-worker", f"{holder.id_number} {holder.name}").text
    assert "查询到" in text and "状态：有效" in text


def test_a_retry_reaching_the_same_process_is_answered_once_while_redis_is_down(
        proxied_app: Flask, redis_proxy: FaultProxy, fault: str) -> None:
    verifier = CountingVerifier()
    proxied_app.extensions["verifier"] = verifier
    wechat = WeChatServer(proxied_app.test_client(), proxied_app.config["SETTINGS"])
    _break(redis_proxy, fault)
    first = wechat.scan("o-1", "code", create_time=1795900000)
    retry = wechat.scan("o-1", "code", create_time=1795900000)
    assert retry.text == first.text and "证书真实有效" in first.text
    assert verifier.calls == 1


def test_the_api_answers_and_its_limit_holds_per_process_while_redis_is_down(
        proxied_app: Flask, redis_proxy: FaultProxy, fault: str) -> None:
    _break(redis_proxy, fault)
    answers = [_verify(proxied_app) for _ in range(API_CALLS.limit)]
    assert {status for status, _ in answers} == {200}
    status, retry_after = _verify(proxied_app)
    assert status == 429 and int(retry_after) >= 1


def test_redis_is_used_again_as_soon_as_it_is_back_without_a_restart(
        proxied_app: Flask, proxied_store: FallbackStore, redis_proxy: FaultProxy, fault: str) -> None:
    _break(redis_proxy, fault)
    assert _verify(proxied_app)[0] == 200
    assert proxied_store.degraded
    redis_proxy.restore()
    assert eventually(lambda: _verify(proxied_app)[0] == 200 and not proxied_store.degraded)
    assert shared_keys(proxied_store, "rate:verify_api:ip:*")


def test_readiness_names_redis_while_it_is_down_and_liveness_does_not_care(
        proxied_app: Flask, redis_proxy: FaultProxy, fault: str) -> None:
    client = proxied_app.test_client()
    _break(redis_proxy, fault)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"]["ok"] is False
    assert ready.json["checks"]["database"]["ok"] is True
    assert client.get("/healthz").status_code == 200
    redis_proxy.restore()
    assert eventually(lambda: client.get("/readyz").json["checks"]["redis"]["ok"])


def test_a_sign_in_begun_before_redis_failed_completes_while_it_is_down(
        proxied_app: Flask, redis_proxy: FaultProxy, fault: str, fake_wechat: FakeWeChat,
        fake_faceid: FakeFaceId) -> None:
    worker = Worker(proxied_app, fake_wechat, fake_faceid, "o-worker")
    callback = worker.authorize()  # the OAuth state went to Redis
    _break(redis_proxy, fault)
    done = worker.get(callback)
    assert done.status_code == 302 and done.headers["Location"].endswith("/h5/my")
    signed_in = worker.get("/h5/my")  # signed in, not registered yet: on to the registration form
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/h5/register")
