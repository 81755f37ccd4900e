"""WeChat's retries and concurrent deliveries: one processing, one reply, within the 5-second budget."""
# Fixtures are imported explicitly from webhook_fixtures/fakes_fixtures, so F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations.redisstore import RedisStore
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, redis_store  # noqa: F401
from tests.integration.h5_fixtures import local
from tests.integration.webhook_fixtures import CountingVerifier, wechat  # noqa: F401
from tests.wechat_helper import WeChatServer


def test_a_retried_message_gets_the_same_reply_and_is_processed_once(app: Flask, wechat: WeChatServer) -> None:
    verifier = CountingVerifier()
    app.extensions["verifier"] = verifier
    first = wechat.scan("o-1", "T500112196312092319", create_time=1795900000)
    retry = wechat.scan("o-1", "T500112196312092319", create_time=1795900000)
    assert retry.text == first.text != ""
    assert verifier.calls == 1


def test_a_retried_text_message_with_the_same_msg_id_is_answered_identically(wechat: WeChatServer) -> None:
    first = wechat.send_text("o-1", "你好", msg_id="6400000000000000001")
    wechat.click("o-1", "QUERY_INPUT")  # the state changes in between, the retry's answer must not
    retry = wechat.send_text("o-1", "你好", msg_id="6400000000000000001")
    assert retry.text == first.text and "暂不支持" in retry.text


def test_the_same_event_at_another_time_is_processed_again(app: Flask, wechat: WeChatServer) -> None:
    verifier = CountingVerifier()
    app.extensions["verifier"] = verifier
    wechat.scan("o-1", "code", create_time=1795900000)
    wechat.scan("o-1", "code", create_time=1795900001)
    assert verifier.calls == 2


def _deliver_concurrently(apps: list[Flask], settings: Settings, verifier: CountingVerifier) -> list[str]:
    """Deliver one event through each app at once while the first handler is held."""
    results: list[str] = []
    lock = threading.Lock()

    def deliver(application: Flask) -> None:
        reply = WeChatServer(application.test_client(), settings).scan("o-1", "code", create_time=1795900000)
        with lock:
            results.append(reply.text)

    threads = [threading.Thread(target=deliver, args=(a,)) for a in apps]
    threads[0].start()
    assert verifier.entered.wait(5)
    for thread in threads[1:]:
        thread.start()
    verifier.hold.set()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_duplicates_are_processed_once_and_all_get_the_reply(app: Flask, settings: Settings) -> None:
    verifier = CountingVerifier(hold=threading.Event())
    app.extensions["verifier"] = verifier
    results = _deliver_concurrently([app, app, app], settings, verifier)
    assert verifier.calls == 1
    assert len(results) == 3 and len(set(results)) == 1 and "证书真实有效" in results[0]


@pytest.mark.redis
def test_two_workers_sharing_redis_process_a_duplicate_once(
        settings: Settings, clock: FixedClock, redis_store: RedisStore) -> None:
    verifier = CountingVerifier(hold=threading.Event())
    workers = [create_app(settings, store=redis_store, clock=clock, extensions={"verifier": verifier})
               for _ in range(2)]
    results = _deliver_concurrently(workers, settings, verifier)
    assert verifier.calls == 1
    assert len(set(results)) == 1 and "证书真实有效" in results[0]
    for worker in workers:
        worker.extensions["db"].engine.dispose()


@pytest.fixture
def slow_app(settings: Settings, clock: FixedClock, fake_wechat: FakeWeChat) -> Iterator[Flask]:
    """An app whose WeChat API is the loopback fake and whose reply budget is tiny."""
    base = fake_wechat.server.url + "/"
    chosen = replace(settings, wechat={"app_id": fake_wechat.state.app_id, "app_secret": fake_wechat.state.app_secret,
                                       "api_base_url": base, "oauth_base_url": base})
    from app.integrations.kvstore import MemoryStore

    application = create_app(chosen, store=MemoryStore(), clock=clock, extensions={"wechat_reply_budget": 0.05})
    yield application
    application.extensions["db"].engine.dispose()


def _wait_for_message(fake: FakeWeChat, openid: str) -> list:
    done = threading.Event()
    for _ in range(100):
        if fake.state.messages_for(openid):
            break
        done.wait(0.05)
    return fake.state.messages_for(openid)


def _late_page(app: Flask, reply_text: str) -> str:
    """The page the late-answer notice links to, once the answer is there (polled, bounded)."""
    link = re.search(r'href="([^"]+)"', reply_text)
    assert link, reply_text
    path = local(link.group(1))
    page = app.test_client().get(path)
    for _ in range(100):
        if "正在处理" not in page.text:
            break
        threading.Event().wait(0.05)
        page = app.test_client().get(path)
    return page.text


def test_a_slow_answer_says_where_it_will_be_and_arrives_as_a_customer_service_message(
        slow_app: Flask, fake_wechat: FakeWeChat) -> None:
    verifier = CountingVerifier(hold=threading.Event(), headline="证书真实有效（稍后送达）")
    slow_app.extensions["verifier"] = verifier
    server = WeChatServer(slow_app.test_client(), slow_app.config["SETTINGS"])
    first = server.scan("o-slow", "code", create_time=1795900000)
    retry = server.scan("o-slow", "code", create_time=1795900000)
    verifier.hold.set()
    sent = _wait_for_message(fake_wechat, "o-slow")
    assert "稍后以消息发给您" in first.text and retry.text == first.text
    assert len(sent) == 1 and "证书真实有效（稍后送达）" in sent[0].payload["text"]["content"]
    assert verifier.calls == 1
    assert "证书真实有效（稍后送达）" in _late_page(slow_app, first.text)


def test_a_late_answer_wechat_refuses_to_deliver_stays_on_the_page_the_reply_named(
        slow_app: Flask, fake_wechat: FakeWeChat) -> None:
    fake_wechat.state.closed_windows.add("o-quiet")  # 45015: the user has not written for 48 hours
    verifier = CountingVerifier(hold=threading.Event(), headline="证书真实有效（未能送达）")
    slow_app.extensions["verifier"] = verifier
    server = WeChatServer(slow_app.test_client(), slow_app.config["SETTINGS"])
    first = server.scan("o-quiet", "code", create_time=1795900000)
    verifier.hold.set()
    page = _late_page(slow_app, first.text)
    assert "如未收到" in first.text and "点此查看结果" in first.text
    assert "证书真实有效（未能送达）" in page
    assert fake_wechat.state.messages_for("o-quiet") == []


def test_a_late_answer_page_refuses_a_forged_link(slow_app: Flask) -> None:
    page = slow_app.test_client().get("/h5/answer?t=forged")
    assert page.status_code == 403 and "链接无效或已过期" in page.text
