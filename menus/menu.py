"""The official account's custom menu as data; `{base_url}` is filled from [server] base_url."""

from __future__ import annotations

from typing import Any

QUERY_KEY = "QUERY_INPUT"
SCAN_KEY = "SCAN_QUERY"

MENU: list[dict[str, Any]] = [
    {"type": "click", "name": "输入查询", "key": QUERY_KEY},
    {"type": "scancode_waitmsg", "name": "扫码查询", "key": SCAN_KEY},
    {"type": "view", "name": "我的证书", "url": "{base_url}/h5/my"},
]
