"""WeChatApi (real wechatpy) against the fake WeChat server on loopback."""

# Fixtures are imported explicitly from fakes_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
import logging
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from app.config import WechatSettings
from app.devtools.fake_wechat import FakeWeChatState, create_fake_wechat_blueprint
from app.devtools.loopback import serve_in_thread
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore, MemoryStore
from app.integrations.redisstore import RedisStore
from app.integrations.wechat import (
    OAuthCodeRejected,
    TemplateDataError,
    WeChatApi,
    WeChatApiError,
    WeChatUnavailable,
)
from tests.integration.fakes_fixtures import (  # noqa: F401
    APP_SECRET,
    FakeWeChat,
    fake_wechat,
    memory_store,
    redis_store,
    require_redis,
    wechat_settings,
)

SEND = "/cgi-bin/message/custom/send"
OPENID = "o-worker-0001"


@pytest.fixture
def api(wechat_settings: WechatSettings, memory_store: MemoryStore) -> WeChatApi:
    return WeChatApi(wechat_settings, memory_store)


def _send_from_threads(settings: WechatSettings, store: KVStore, n: int = 8) -> list[BaseException]:
    """n threads, each with its own WeChatApi (as n worker processes would), send at once."""
    barrier, errors = threading.Barrier(n), []

    def worker(i: int) -> None:
        client = WeChatApi(settings, store)
        barrier.wait()
        try:
            client.send_text(f"o-{i}", "你好")
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return errors


def test_eight_workers_sharing_a_memory_store_fetch_the_token_once(
        fake_wechat: FakeWeChat, wechat_settings: WechatSettings) -> None:
    assert _send_from_threads(wechat_settings, MemoryStore()) == []
    assert fake_wechat.state.token_fetches == 1
    assert len(fake_wechat.state.messages) == 8


@pytest.mark.redis
def test_eight_workers_sharing_redis_fetch_the_token_once(
        fake_wechat: FakeWeChat, wechat_settings: WechatSettings, redis_store: RedisStore) -> None:
    assert _send_from_threads(wechat_settings, redis_store) == []
    assert fake_wechat.state.token_fetches == 1
    assert len(fake_wechat.state.messages) == 8
    assert 6000 < (redis_store.ttl(rediskeys.access_token(wechat_settings.app_id)) or 0) <= 7200 - 300


def test_the_token_is_cached_with_five_minutes_to_spare(api: WeChatApi, memory_store: MemoryStore) -> None:
    api.send_text(OPENID, "一")
    api.send_text(OPENID, "二")
    ttl = memory_store.ttl(rediskeys.access_token(api.settings.app_id))
    assert ttl == pytest.approx(7200 - 300, abs=2)


def test_stable_token_endpoint_is_used_when_configured(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    api.send_text(OPENID, "你好")
    assert fake_wechat.state.calls.get("/cgi-bin/stable_token") == 1
    assert "/cgi-bin/token" not in fake_wechat.state.calls


def test_classic_token_endpoint_when_stable_token_is_off(
        wechat_settings: WechatSettings, fake_wechat: FakeWeChat) -> None:
    settings = dataclasses.replace(wechat_settings, use_stable_token=False)
    WeChatApi(settings, MemoryStore()).send_text(OPENID, "你好")
    assert fake_wechat.state.calls.get("/cgi-bin/token") == 1
    assert "/cgi-bin/stable_token" not in fake_wechat.state.calls


def test_invalidated_token_is_dropped_refetched_and_the_call_retried_once(
        api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    api.send_text(OPENID, "一")
    fake_wechat.state.invalidate_token()
    api.send_text(OPENID, "二")
    assert fake_wechat.state.token_fetches == 2
    assert fake_wechat.state.calls[SEND] == 3
    assert [m.payload["text"]["content"] for m in fake_wechat.state.messages] == ["一", "二"]


def test_expired_token_42001_is_refreshed(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    api.send_text(OPENID, "一")
    fake_wechat.state.expire_token()
    api.send_text(OPENID, "二")
    assert fake_wechat.state.token_fetches == 2


def test_a_rejected_stable_token_is_force_refreshed_once(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    api.send_text(OPENID, "一")
    fake_wechat.state.fail_next(SEND, 40001)  # WeChat says 40001 though the stable token looks valid
    api.send_text(OPENID, "二")
    assert fake_wechat.state.calls["/cgi-bin/stable_token"] == 3  # first, normal, force_refresh


def test_a_second_40001_is_raised_not_retried_again(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    fake_wechat.state.fail_next(SEND, 40001, times=5)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text(OPENID, "你好")
    assert caught.value.errcode == 40001
    assert fake_wechat.state.calls[SEND] == 2


def test_a_failed_token_is_not_dropped_when_another_process_already_replaced_it(
        api: WeChatApi, memory_store: MemoryStore, fake_wechat: FakeWeChat) -> None:
    current = api.access_token()
    assert api._refresh(failed="an-older-token") == current
    assert memory_store.get(rediskeys.access_token(api.settings.app_id)) == current.encode()
    assert fake_wechat.state.token_fetches == 1


def test_other_errors_are_raised_with_their_code(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    fake_wechat.state.closed_windows.add(OPENID)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text(OPENID, "你好")
    assert caught.value.errcode == 45015
    assert fake_wechat.state.token_fetches == 1


def test_a_wrong_secret_is_an_api_error(wechat_settings: WechatSettings) -> None:
    settings = dataclasses.replace(wechat_settings, app_secret="wrong")
    with pytest.raises(WeChatApiError) as caught:
        WeChatApi(settings, MemoryStore()).send_text(OPENID, "你好")
    assert caught.value.errcode == 40125


@pytest.mark.parametrize("path", [SEND, "/cgi-bin/stable_token"])
@pytest.mark.parametrize("fault", ["timeout", "500"])
def test_timeouts_and_server_errors_are_unavailable(
        api: WeChatApi, fake_wechat: FakeWeChat, path: str, fault: str) -> None:
    fake_wechat.state.fail_next(path, fault)
    with pytest.raises(WeChatUnavailable):
        api.send_text(OPENID, "你好")


def test_an_unreachable_host_is_unavailable(wechat_settings: WechatSettings) -> None:
    settings = dataclasses.replace(wechat_settings, api_base_url="http://127.0.0.1:9/")
    with pytest.raises(WeChatUnavailable):
        WeChatApi(settings, MemoryStore()).send_text(OPENID, "你好")


def test_template_message_is_sent_with_wrapped_values(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    msgid = api.send_template(OPENID, "tpl-1", {"thing1": "人工审核已通过", "time2": "2026-11-28"},
                              url="http://127.0.0.1/h5/my")
    sent = fake_wechat.state.messages_for(OPENID)[0]
    assert msgid == 1
    assert sent.kind == "template"
    assert sent.payload["data"]["thing1"] == {"value": "人工审核已通过"}
    assert sent.payload["url"] == "http://127.0.0.1/h5/my"


@pytest.mark.parametrize("data", [{"thing1": "字" * 21}, {"first": "您好"}, {"remark": "谢谢"}])
def test_template_data_breaking_the_2023_rules_is_refused_before_sending(
        api: WeChatApi, fake_wechat: FakeWeChat, data: dict[str, str]) -> None:
    with pytest.raises(TemplateDataError):
        api.send_template(OPENID, "tpl-1", data)
    assert fake_wechat.state.messages == []


def test_a_twenty_character_field_is_accepted(api: WeChatApi) -> None:
    api.send_template(OPENID, "tpl-1", {"thing1": "字" * 20})


def test_menu_create_get_delete(api: WeChatApi) -> None:
    menu = {"button": [{"type": "click", "name": "输入查询", "key": "QUERY"}]}
    assert api.get_menu() is None
    api.create_menu(menu)
    assert api.get_menu() == {"menu": menu}
    api.delete_menu()
    assert api.get_menu() is None


def test_oauth_url_encodes_state_and_ends_with_wechat_redirect(api: WeChatApi) -> None:
    url = api.oauth_authorize_url("http://127.0.0.1/h5/callback?next=/h5/my", "a b&c=d")
    assert url.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == ["a b&c=d"]
    assert query["redirect_uri"] == ["http://127.0.0.1/h5/callback?next=/h5/my"]
    assert query["scope"] == ["snsapi_base"]
    assert list(query)[:5] == ["appid", "redirect_uri", "response_type", "scope", "state"]


def _authorize(api: WeChatApi, state: str) -> dict[str, list[str]]:
    """Follow the authorize URL like WeChat's browser would, up to the redirect."""
    url = api.oauth_authorize_url("http://127.0.0.1/cb", state)
    res = requests.get(url, allow_redirects=False, timeout=2)
    assert res.status_code == 302
    return parse_qs(urlsplit(res.headers["Location"]).query)


def test_oauth_code_gives_the_openid_once(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    fake_wechat.state.set_current_openid(OPENID)
    returned = _authorize(api, "s t/ate")
    assert returned["state"] == ["s t/ate"]
    code = returned["code"][0]
    assert api.oauth_exchange_code(code) == OPENID
    with pytest.raises(OAuthCodeRejected) as caught:
        api.oauth_exchange_code(code)
    assert caught.value.errcode == 40163


def test_a_forged_oauth_code_is_rejected(api: WeChatApi) -> None:
    with pytest.raises(OAuthCodeRejected) as caught:
        api.oauth_exchange_code("forged")
    assert caught.value.errcode == 40029


def test_the_app_secret_never_reaches_logs_or_errors(
        wechat_settings: WechatSettings, fake_wechat: FakeWeChat, caplog: pytest.LogCaptureFixture) -> None:
    settings = dataclasses.replace(wechat_settings, use_stable_token=False)
    api = WeChatApi(settings, MemoryStore())
    caplog.set_level(logging.DEBUG)
    fake_wechat.state.fail_next("/cgi-bin/token", "timeout")
    with pytest.raises(WeChatUnavailable) as caught:
        api.send_text(OPENID, "你好")
    api.send_text(OPENID, "你好")
    assert APP_SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    ours = [r.getMessage() for r in caplog.records if r.name != "werkzeug"]  # werkzeug: the fake's log
    assert ours and not any(APP_SECRET in message for message in ours)


def test_the_dev_api_lists_messages_for_the_simulator(api: WeChatApi, fake_wechat: FakeWeChat) -> None:
    api.send_text(OPENID, "你好")
    api.send_text("someone-else", "别的")
    res = requests.get(f"{fake_wechat.server.url}/dev-api/messages", params={"openid": OPENID}, timeout=2)
    assert [m["payload"]["text"]["content"] for m in res.json()["messages"]] == ["你好"]


def test_the_fake_works_mounted_under_a_prefix(wechat_settings: WechatSettings) -> None:
    """As in the dev app: the blueprint at /dev/fake-wechat, api_base_url ending in /dev/fake-wechat/."""
    state = FakeWeChatState(app_id=wechat_settings.app_id, app_secret=wechat_settings.app_secret)
    app = Flask(__name__)
    app.register_blueprint(create_fake_wechat_blueprint(state), url_prefix="/dev/fake-wechat")
    with serve_in_thread(app) as server:
        base = f"{server.url}/dev/fake-wechat/"
        settings = dataclasses.replace(wechat_settings, api_base_url=base, oauth_base_url=base)
        api = WeChatApi(settings, MemoryStore())
        api.send_text(OPENID, "你好")
        state.set_current_openid(OPENID)
        assert api.oauth_exchange_code(_authorize(api, "x")["code"][0]) == OPENID
    assert state.messages_for(OPENID)[0].payload["text"]["content"] == "你好"
