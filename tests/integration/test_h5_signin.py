"""Signing in to the worker pages through WeChat web authorisation (snsapi_base) on the fake WeChat."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask

from app.config import replace
from tests.integration.fakes_fixtures import FakeWeChat
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    local,
    wechat_settings,
    worker,
)


def test_my_certificates_in_wechat_starts_silent_authorisation_with_a_fresh_state(
        worker: Callable[[str], Worker]) -> None:
    response = worker("o-alice").get("/h5/my")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert target.path.endswith("/connect/oauth2/authorize")
    assert query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == ["http://localhost/h5/oauth/callback"]
    assert len(query["state"][0]) >= 24
    assert response.headers["Location"].endswith("#wechat_redirect")


def test_a_new_user_who_signed_in_is_sent_to_registration(worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    response = alice.sign_in()
    assert response.status_code == 302 and response.headers["Location"].endswith("/h5/my")
    assert alice.get("/h5/my").headers["Location"].endswith("/h5/register")
    assert "登记持证人信息" in alice.get("/h5/register").text


def test_a_reused_oauth_code_is_refused_politely(worker: Callable[[str], Worker],
                                                fake_wechat: FakeWeChat) -> None:
    alice = worker("o-alice")
    first_callback = alice.authorize()
    assert alice.get(first_callback).status_code == 302
    code = parse_qs(urlsplit(first_callback).query)["code"][0]
    mallory = worker("o-mallory")
    fresh_state = parse_qs(urlsplit(mallory.authorize()).query)["state"][0]
    replay = mallory.get(f"/h5/oauth/callback?code={code}&state={fresh_state}")
    assert replay.status_code == 400
    assert "登录链接已失效" in replay.text
    assert mallory.get("/h5/register").status_code == 302  # still not signed in


def test_a_forged_state_is_refused_and_signs_nobody_in(worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    callback = alice.authorize()
    code = parse_qs(urlsplit(callback).query)["code"][0]
    forged = alice.get(f"/h5/oauth/callback?code={code}&state=forged-state-value")
    assert forged.status_code == 400 and "登录链接已失效" in forged.text
    assert alice.get("/h5/register").status_code == 302


def test_a_state_is_used_once_even_within_the_same_browser(worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    callback = alice.authorize()
    assert alice.get(callback).status_code == 302
    again = alice.get(callback)
    assert again.status_code == 400


def test_a_callback_from_another_browser_session_is_refused(worker: Callable[[str], Worker]) -> None:
    victim_callback = worker("o-victim").authorize()
    attacker = worker("o-attacker")
    response = attacker.get(victim_callback)
    assert response.status_code == 400
    assert attacker.get("/h5/register").status_code == 302


def test_a_callback_without_code_or_state_is_refused_without_an_error_page(
        worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    for query in ("", "?code=", "?state=x", "?code=%00&state=%ff", "?code=a&state=" + "x" * 5000):
        response = alice.get("/h5/oauth/callback" + query)
        assert response.status_code == 400
        assert "登录链接已失效" in response.text


def test_wechat_being_down_at_the_code_exchange_gives_a_clear_message(
        worker: Callable[[str], Worker], fake_wechat: FakeWeChat) -> None:
    alice = worker("o-alice")
    callback = alice.authorize()
    fake_wechat.state.fail_next("/sns/oauth2/access_token", "timeout")
    response = alice.get(callback)
    assert response.status_code == 503
    assert "暂时不可用" in response.text


def test_outside_wechat_the_page_says_to_open_it_in_wechat(h5_app: Flask) -> None:
    production_like = replace(h5_app.config["SETTINGS"], server={"dev_tools": False})
    h5_app.config["SETTINGS"] = production_like
    response = h5_app.test_client().get("/h5/my", headers={"User-Agent": "Mozilla/5.0 Chrome/120"})
    assert response.status_code == 200
    assert "请在微信中打开" in response.text
    assert "模拟器" not in response.text
    assert h5_app.test_client().get("/h5/my?dev=1").status_code == 404


def test_outside_wechat_in_dev_mode_the_simulator_test_user_can_sign_in(
        h5_app: Flask, fake_wechat: FakeWeChat) -> None:
    client = h5_app.test_client()
    page = client.get("/h5/my")
    assert "以模拟器测试用户登录" in page.text
    start = client.get("/h5/my?dev=1")
    assert start.status_code == 302
    fake_wechat.state.set_current_openid("o-dev-worker-0001")
    authorised = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert client.get(local(authorised.headers["Location"])).status_code == 302
    assert client.get("/h5/my").headers["Location"].endswith("/h5/register")


def test_a_protected_page_sends_the_visitor_through_sign_in_and_back(
        worker: Callable[[str], Worker], fake_wechat: FakeWeChat) -> None:
    alice = worker("o-alice")
    first = alice.get("/h5/face")
    assert first.status_code == 302 and "/h5/my?next=" in first.headers["Location"]
    start = alice.get(local(first.headers["Location"]))
    fake_wechat.state.set_current_openid("o-alice")
    authorised = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    back = alice.get(local(authorised.headers["Location"]))
    assert back.headers["Location"].endswith("/h5/face")


def test_an_external_next_target_is_ignored(worker: Callable[[str], Worker],
                                            fake_wechat: FakeWeChat) -> None:
    alice = worker("o-alice")
    start = alice.get("/h5/my?next=//evil.example/h5/")
    fake_wechat.state.set_current_openid("o-alice")
    authorised = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    back = alice.get(local(authorised.headers["Location"]))
    assert back.headers["Location"] == "/h5/my"
