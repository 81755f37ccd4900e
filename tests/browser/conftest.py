"""Headless Chromium (Debian's /usr/bin/chromium driven by playwright) against the served app."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.config import Settings, replace
from app.integrations.kvstore import MemoryStore

CHROMIUM = "/usr/bin/chromium"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/107.0 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x2800313B) NetType/WIFI Language/zh_CN")


@dataclass
class LiveServer:
    """The whole app served on a loopback port with demo data and dev tools."""

    url: str
    app: Flask
    server: BaseWSGIServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def live_settings(base: str, tmp: Path, database_url: str | None = None) -> Settings:
    """Settings for a served app whose fakes are mounted on the same server (SQLite unless told)."""
    return replace(
        Settings(),
        server={"env": "development", "base_url": base, "dev_tools": True,
                "dev_state_dir": str(tmp / "dev")},
        database={"url": database_url or f"sqlite:///{tmp / 'live.sqlite3'}"},
        signing={"key_dir": str(tmp / "keys")},
        wechat={"api_base_url": f"{base}/dev/fake-wechat/", "oauth_base_url": f"{base}/dev/fake-wechat/"},
        faceid={"endpoint": f"{base.removeprefix('http://')}/dev/fake-faceid", "scheme": "http"},
    )


@contextmanager
def serve_app(tmp: Path, seed_count: int | None = 50, before_serving: Callable[[Flask], None] | None = None,
              wrap: Callable[[Any], Any] | None = None, database_url: str | None = None) -> Iterator[LiveServer]:
    """Build, migrate, seed (unless seed_count is None) and serve the app on a free loopback port.

    `before_serving(app)` runs once the keys exist; `wrap` wraps the WSGI app (e.g. to record requests);
    `database_url` serves another database than a fresh SQLite file (e.g. the session's MariaDB).
    """
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(live_settings(base, tmp, database_url), store=MemoryStore())
    runner = app.test_cli_runner()
    seed = [] if seed_count is None else [["demo", "seed", "--count", str(seed_count)]]
    for args in (["db", "upgrade"], *seed, ["keys", "generate", "--if-missing"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    for prepare in (app.extensions.get("prepare_live_server"), before_serving):
        if prepare:
            prepare(app)
    server = make_server("127.0.0.1", port, wrap(app) if wrap else app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(base, app, server)
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Migrated, seeded and serving; shared by the browser tests of a session."""
    with serve_app(tmp_path_factory.mktemp("live")) as live:
        yield live


def _require_chromium() -> None:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Debian's chromium is not installed (make system-deps)")
    pytest.skip("Debian's chromium is not installed: apt-get install chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A phone-sized page in a plain mobile browser."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


@pytest.fixture
def wechat_page(browser: object) -> Iterator[object]:
    """A phone-sized page that announces itself as WeChat's built-in browser."""
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", viewport={"width": 390, "height": 844}, user_agent=WECHAT_UA)
    yield context.new_page()
    context.close()
