"""The menu as data (menus/menu.py) and its check against WeChat's documented limits.

WeChat (自定义菜单 / menu/create): 1-3 top-level buttons, up to 5 sub-buttons each, names up to 16
bytes (sub-buttons 60), key up to 128 bytes, url up to 1024 bytes. WeChat rejects a bad menu as a whole
(40016/40018/...), so it is validated here before anything is sent.
"""

from __future__ import annotations

import copy
from typing import Any

from menus.menu import MENU

MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES, URL_BYTES = 16, 60, 128, 1024
KEY_TYPES = frozenset({"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
                       "pic_weixin", "location_select"})
URL_TYPES = frozenset({"view"})


class MenuError(ValueError):
    """The menu breaks WeChat's limits; `problems` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def build_menu(base_url: str) -> dict[str, Any]:
    """The menu with links pointing at this deployment, validated."""
    buttons = copy.deepcopy(MENU)
    for button in _walk(buttons):
        if "url" in button:
            button["url"] = button["url"].format(base_url=base_url.rstrip("/"))
    menu = {"button": buttons}
    validate_menu(menu)
    return menu


def _walk(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button, top-level and sub."""
    flat: list[dict[str, Any]] = []
    for button in buttons:
        flat.append(button)
        flat.extend(button.get("sub_button") or [])
    return flat


def validate_menu(menu: dict[str, Any]) -> None:
    """Raise MenuError naming every button that breaks a WeChat limit."""
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError([f"菜单须有1至{MAX_BUTTONS}个一级按钮"])
    problems: list[str] = []
    for button in buttons:
        subs = button.get("sub_button")
        if subs is not None:
            problems += _check_group(button, subs)
        else:
            problems += _check_button(button, NAME_BYTES)
    if problems:
        raise MenuError(problems)


def _check_group(button: dict[str, Any], subs: Any) -> list[str]:
    """A top-level button that only opens its sub-buttons."""
    problems = _check_name(button, NAME_BYTES)
    if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
        return [*problems, f"“{button.get('name')}”须有1至{MAX_SUB_BUTTONS}个子按钮"]
    for sub in subs:
        problems += _check_button(sub, SUB_NAME_BYTES)
    return problems


def _check_name(button: dict[str, Any], limit: int) -> list[str]:
    name = button.get("name")
    if not isinstance(name, str) or not name:
        return ["按钮缺少名称"]
    if len(name.encode()) > limit:
        return [f"按钮名称“{name}”超过{limit}字节"]
    return []


def _check_button(button: dict[str, Any], name_limit: int) -> list[str]:
    """One actionable button: name, type, and its key or url."""
    problems = _check_name(button, name_limit)
    kind, label = button.get("type"), button.get("name")
    if kind in KEY_TYPES:
        key = button.get("key")
        if not isinstance(key, str) or not key or len(key.encode()) > KEY_BYTES:
            problems.append(f"“{label}”的key须为1至{KEY_BYTES}字节")
    elif kind in URL_TYPES:
        url = button.get("url")
        is_link = isinstance(url, str) and url.startswith(("http://", "https://"))
        if not is_link or len(str(url).encode()) > URL_BYTES:
            problems.append(f"“{label}”的url须为http(s)链接且不超过{URL_BYTES}字节")
    else:
        problems.append(f"“{label}”的类型{kind!r}不受支持")
    return problems
