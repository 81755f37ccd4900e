"""Fixtures for the worker pages: an app wired to the loopback fake WeChat and fake FaceID, demo
holders, and `Worker`, a helper that drives one WeChat user's browser through the H5 flow.

Import what a module uses explicitly, e.g.
`from tests.integration.h5_fixtures import h5_app, holders, worker  # noqa: F401`.
"""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.test import TestResponse

from app import create_app
from app.clock import FixedClock
from app.config import FaceIdSettings, Settings, WechatSettings, replace
from app.integrations.kvstore import MemoryStore
from app.services.seed import DemoPerson, seed
from app.storage.db import Database
from tests.conftest import _truncate_all
from tests.integration.fakes_fixtures import (  # noqa: F401 - fixtures used by the ones below
    FakeFaceId,
    FakeWeChat,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    wechat_settings,
)

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/107.0 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x2800313B) NetType/WIFI")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def h5_app(settings: Settings, clock: FixedClock, wechat_settings: WechatSettings,
           faceid_settings: FaceIdSettings) -> Iterator[Flask]:
    """A fresh app over an emptied database, talking to the loopback fakes with the real clients."""
    configured = replace(settings, wechat=dataclasses.asdict(wechat_settings),
                         faceid=dataclasses.asdict(faceid_settings))
    app = create_app(configured, store=MemoryStore(), clock=clock)
    database: Database = app.extensions["db"]
    _truncate_all(database)
    yield app
    database.engine.dispose()


@pytest.fixture
def holders(h5_app: Flask, clock: FixedClock) -> list[DemoPerson]:
    """The demo showcase holders (one per status; [0] valid, [7] unpublished, [8] safety management)."""
    _summary, people = seed(h5_app.extensions["db"], h5_app.extensions["pii"], clock.today(), count=0)
    return people


class Worker:
    """One WeChat user's browser: signs in through the fake OAuth, registers, does the face check."""

    def __init__(self, app: Flask, wechat: FakeWeChat, faceid: FakeFaceId, openid: str) -> None:
        self.client = app.test_client()
        self.client.environ_base["HTTP_USER_AGENT"] = WECHAT_UA
        self.wechat, self.faceid, self.openid = wechat, faceid, openid

    def get(self, path: str) -> TestResponse:
        return self.client.get(path)

    def authorize(self) -> str:
        """Open /h5/my and follow WeChat's authorisation page; returns the callback path + query."""
        start = self.client.get("/h5/my")
        assert start.status_code == 302, start.text
        self.wechat.state.set_current_openid(self.openid)
        page = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
        assert page.status_code == 302, page.text
        return local(page.headers["Location"])

    def sign_in(self) -> TestResponse:
        """The whole sign-in: /h5/my -> WeChat -> /h5/oauth/callback."""
        return self.client.get(self.authorize())

    def csrf(self, path: str) -> str:
        match = _CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def register(self, person: DemoPerson, mobile: str = "13800138000", consent: bool = True,
                 **override: str) -> TestResponse:
        """Submit the registration form for `person` (fields can be overridden)."""
        form = {"csrf_token": self.csrf("/h5/register"), "name": person.name, "id_number": person.id_number,
                "mobile": mobile, **({"consent": "yes"} if consent else {}), **override}
        return self.client.post("/h5/register", data=form)

    def start_face(self) -> TestResponse:
        """Press 开始人脸核身; on success the response redirects to the (fake) Tencent page.

        The token comes from the registration form: once today's checks are used up, the face-check
        page has no button (and no form) left to press, but a stale page could still post.
        """
        return self.client.post("/h5/face/start", data={"csrf_token": self.csrf("/h5/register")})

    def liveness(self, started: TestResponse, outcome: str) -> str:
        """Finish the fake liveness page with `outcome`; returns the local return path Tencent gives."""
        url = started.headers["Location"]
        token = url.split("token=")[1]
        done = requests.post(url, data={"outcome": outcome, "token": token}, allow_redirects=False, timeout=5)
        assert done.status_code == 302, done.text
        return local(done.headers["Location"])

    def verify_face(self, outcome: str = "pass") -> TestResponse:
        """Start, finish the liveness page with `outcome`, come back; the return page's response."""
        return self.client.get(self.liveness(self.start_face(), outcome))

    def onboard(self, person: DemoPerson) -> TestResponse:
        """Sign in, register as `person` and pass the face check."""
        self.sign_in()
        assert self.register(person).status_code == 302
        return self.verify_face("pass")


def local(url: str) -> str:
    """The path and query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def worker(h5_app: Flask, fake_wechat: FakeWeChat, fake_faceid: FakeFaceId,
           ) -> Callable[[str], Worker]:
    """A factory: worker("o-openid") gives a browser for that WeChat user."""
    return lambda openid: Worker(h5_app, fake_wechat, fake_faceid, openid)
