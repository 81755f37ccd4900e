"""`flask menu publish | show | delete` against the loopback fake WeChat API, with the real client."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskCliRunner

from app.config import Settings, WechatSettings, replace
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, wechat_settings  # noqa: F401


@pytest.fixture
def settings(settings: Settings, wechat_settings: WechatSettings) -> Settings:  # noqa: F811
    """The app talks to the loopback fake WeChat."""
    return replace(settings, wechat={"app_id": wechat_settings.app_id, "app_secret": wechat_settings.app_secret,
                                     "api_base_url": wechat_settings.api_base_url, "timeout": 1.0})


def test_publish_sends_the_validated_menu_and_show_reads_it_back(runner: FlaskCliRunner,
                                                                 fake_wechat: FakeWeChat) -> None:  # noqa: F811
    published = runner.invoke(args=["menu", "publish"])
    assert published.exit_code == 0, published.output
    assert "输入查询" in published.output
    names = [b["name"] for b in fake_wechat.state.menu["button"]]
    assert names == ["输入查询", "扫码查询", "我的证书"]
    my_certs = fake_wechat.state.menu["button"][2]
    assert my_certs["type"] == "view" and my_certs["url"].endswith("/h5/my")
    shown = runner.invoke(args=["menu", "show"])
    assert "扫码查询" in shown.output and "scancode_waitmsg" in shown.output


def test_delete_removes_the_menu_and_show_says_there_is_none(runner: FlaskCliRunner,
                                                             fake_wechat: FakeWeChat) -> None:  # noqa: F811
    runner.invoke(args=["menu", "publish"])
    deleted = runner.invoke(args=["menu", "delete"])
    assert deleted.exit_code == 0 and "已删除" in deleted.output
    assert "没有自定义菜单" in runner.invoke(args=["menu", "show"]).output


def test_an_unreachable_wechat_api_gives_a_clear_error(runner: FlaskCliRunner,
                                                       fake_wechat: FakeWeChat) -> None:  # noqa: F811
    fake_wechat.state.fail_next("/cgi-bin/menu/create", "500")
    result = runner.invoke(args=["menu", "publish"])
    assert result.exit_code != 0 and "微信接口调用失败" in result.output
    assert json.dumps(fake_wechat.state.menu or {}) in ("{}", "null")
