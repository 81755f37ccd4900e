"""The service as production runs it: behind one reverse proxy (nginx on the same host, TLS there).

The proxy connects from 127.0.0.1 and sets X-Forwarded-For (appending the address it saw) and
X-Forwarded-Proto: https. Anyone who reaches the app directly can send those headers too.
"""

# Fixtures are imported explicitly from verify_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations.kvstore import MemoryStore
from app.services.seed import DemoPerson
from app.web.verify import API_CALLS
from tests.integration.review_fixtures import csrf_from
from tests.integration.verify_fixtures import VALID, keyed_app, path_of, printed_text, showcase  # noqa: F401

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}  # what nginx adds

PROXY = "127.0.0.1"
DIRECT = "203.0.113.9"  # someone on the Internet who found the app's own port


@pytest.fixture
def proxied_app(keyed_app: Flask, settings: Settings, clock: FixedClock) -> Iterator[Flask]:
    """The test app's database and keys, served with server.trusted_proxies = 1."""
    app = create_app(replace(settings, server={"trusted_proxies": 1}), store=MemoryStore(), clock=clock)
    yield app
    app.extensions["db"].engine.dispose()


def _verify(app: Flask, peer: str, forwarded_for: str) -> int:
    response = app.test_client().post("/api/verify", json={"text": "x"}, environ_base={"REMOTE_ADDR": peer},
                                      headers={"X-Forwarded-For": forwarded_for})
    return response.status_code


def test_a_direct_client_cannot_escape_the_api_limit_with_invented_forwarded_addresses(
        proxied_app: Flask) -> None:
    codes = [_verify(proxied_app, DIRECT, f"198.51.100.{i}") for i in range(API_CALLS.limit + 1)]
    assert codes[:API_CALLS.limit] == [200] * API_CALLS.limit and codes[API_CALLS.limit] == 429


def test_behind_the_proxy_each_client_has_its_own_limit(proxied_app: Flask) -> None:
    codes = [_verify(proxied_app, PROXY, f"1.2.3.{i}, 198.51.100.7") for i in range(API_CALLS.limit + 1)]
    assert codes[API_CALLS.limit] == 429  # the client's own X-Forwarded-For entries do not make it someone else
    assert _verify(proxied_app, PROXY, "198.51.100.8") == 200


def test_the_id_check_answers_over_https_though_the_page_sends_no_referer(
        proxied_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[VALID]
    path = path_of(printed_text(proxied_app, holder))
    client = proxied_app.test_client()
    page = client.get(path, headers=HTTPS, environ_base={"REMOTE_ADDR": PROXY})
    assert page.headers["Referrer-Policy"] == "no-referrer"
    answer = client.post(path, data={"id_number": holder.id_number}, headers=HTTPS,
                         environ_base={"REMOTE_ADDR": PROXY})
    assert answer.status_code == 200 and "一致：身份证号码与证书持证人相符" in answer.text


def test_forms_with_a_session_keep_the_https_referrer_check(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    token = csrf_from(client.get("/admin/login", headers=HTTPS).text)
    form = {"csrf_token": token, "username": "nobody", "password": "wrong-password"}
    assert client.post("/admin/login", data=form, headers=HTTPS).status_code == 400  # no Referer
    elsewhere = {**HTTPS, "Referer": "https://evil.example.com/"}
    assert client.post("/admin/login", data=form, headers=elsewhere).status_code == 400
    same_site = {**HTTPS, "Referer": "https://localhost/admin/login"}
    assert client.post("/admin/login", data=form, headers=same_site).status_code != 400
