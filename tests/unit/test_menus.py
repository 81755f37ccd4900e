"""The menu is data, checked against WeChat's limits before anything is sent."""

from __future__ import annotations

import pytest

from menus import MenuError, build_menu, validate_menu


def test_the_shipped_menu_has_the_three_functions_and_passes_the_limits() -> None:
    menu = build_menu("https://cx.example.gov.cn/")
    assert [(b["name"], b["type"]) for b in menu["button"]] == [
        ("输入查询", "click"), ("扫码查询", "scancode_waitmsg"), ("我的证书", "view")]
    assert menu["button"][2]["url"] == "https://cx.example.gov.cn/h5/my"


def _click(name: str = "查询", key: str = "K") -> dict:
    return {"type": "click", "name": name, "key": key}


BAD_MENUS = {
    "no buttons": {"button": []},
    "four buttons": {"button": [_click()] * 4},
    "name over 16 bytes": {"button": [_click("六个汉字的名字")]},
    "sub name over 60 bytes": {"button": [{"name": "更多", "sub_button": [_click("长" * 21)]}]},
    "six sub buttons": {"button": [{"name": "更多", "sub_button": [_click()] * 6}]},
    "empty sub buttons": {"button": [{"name": "更多", "sub_button": []}]},
    "key over 128 bytes": {"button": [_click(key="k" * 129)]},
    "missing key": {"button": [{"type": "click", "name": "查询"}]},
    "url over 1024 bytes": {"button": [{"type": "view", "name": "我的", "url": "https://a.cn/" + "x" * 1020}]},
    "url not http": {"button": [{"type": "view", "name": "我的", "url": "javascript:alert(1)"}]},
    "unknown type": {"button": [{"type": "teleport", "name": "传送"}]},
    "no name": {"button": [{"type": "click", "key": "K"}]},
}


@pytest.mark.parametrize("menu", BAD_MENUS.values(), ids=BAD_MENUS.keys())
def test_a_menu_breaking_a_wechat_limit_is_refused(menu: dict) -> None:
    with pytest.raises(MenuError) as caught:
        validate_menu(menu)
    assert caught.value.problems


def test_limits_are_counted_in_bytes_not_characters() -> None:
    validate_menu({"button": [_click("五个汉字名")]})  # 15 bytes: allowed
    validate_menu({"button": [_click(key="k" * 128)]})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(MenuError) as caught:
        validate_menu({"button": [_click("六个汉字的名字"), _click(key="")]})
    assert len(caught.value.problems) == 2
