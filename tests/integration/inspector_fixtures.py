"""Fixtures for inspectors: a signing key on the H5 app, a bound inspector, and a WeChat browser that
follows the silent sign-in on code pages.

Import explicitly: `from tests.integration.inspector_fixtures import code_app, inspector  # noqa: F401`.
"""


from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.services import certificate_files, keyring
from app.storage.models import Staff
from tests.integration.h5_fixtures import Worker, local
from tests.integration.review_fixtures import CHONGQING, make_staff

INSPECTOR_OPENID = "o-inspector-cq-0001"


@pytest.fixture
def code_app(h5_app: Flask) -> Flask:
    """The H5 app (loopback fake WeChat) with a signing key, so printed codes verify."""
    keyring.generate(Path(h5_app.config["SETTINGS"].signing.key_dir))
    certificate_files.clear_caches()
    return h5_app


def bind_directly(app: Flask, username: str, openid: str) -> None:
    """Bind a WeChat account to a staff account without the code (tests of what follows binding)."""
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        staff.wechat_openid = openid


@pytest.fixture
def inspector(code_app: Flask) -> str:
    """A Chongqing inspector account bound to INSPECTOR_OPENID; its username."""
    make_staff(code_app, "cq.inspector", role="inspector", authority=CHONGQING)
    bind_directly(code_app, "cq.inspector", INSPECTOR_OPENID)
    return "cq.inspector"


def open_code(browser: Worker, path: str) -> TestResponse:
    """Open a code's page in WeChat's browser, following the silent sign-in through the fake WeChat."""
    response = browser.client.get(path)
    for _ in range(6):
        if response.status_code != 302:
            return response
        target = response.headers["Location"]
        if target.startswith("http") and "/connect/oauth2/authorize" in target:
            browser.wechat.state.set_current_openid(browser.openid)
            answer = requests.get(target, allow_redirects=False, timeout=5)
            assert answer.status_code == 302, answer.text
            target = answer.headers["Location"]
        response = browser.client.get(local(target))
    raise AssertionError("too many redirects")
