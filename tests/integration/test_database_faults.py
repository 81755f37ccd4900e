"""MariaDB frozen or down: pages answer a Chinese 503, the API JSON 503 with Retry-After, the webhook a
polite reply, liveness stays up and readiness names the database; all within the request limits.
The app reaches the real MariaDB through a proxy the test breaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.cli.db import upgrade
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations.kvstore import MemoryStore
from app.services import certificate_files, keyring
from app.services.seed import seed
from app.storage.db import Database, Limits
from app.web import deps
from app.web.query_pages import make_link
from tests.conftest import TEST_NOW, _mariadb_database, _truncate_all
from tests.faultproxy import FaultProxy
from tests.integration.fault_fixtures import eventually
from tests.integration.verify_fixtures import certificate_of, path_of, printed_text
from tests.wechat_helper import WeChatServer

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    gen = _mariadb_database()
    url = next(gen)
    database = Database(url)
    upgrade(database)
    database.engine.dispose()
    yield url
    next(gen, None)


@dataclass
class Proxied:
    app: Flask
    proxy: FaultProxy
    verify_path: str
    query_path: str
    holder: str


@pytest.fixture(params=["cut", "freeze"])
def proxied(mariadb_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Proxied]:
    """Demo data written directly; the app under test reaches the same database through the proxy."""
    clock = FixedClock(TEST_NOW)
    settings = replace(Settings(), server={"env": "test", "base_url": "http://localhost"},
                       database={"url": mariadb_url}, signing={"key_dir": str(tmp_path / "keys")})
    direct = create_app(settings, store=MemoryStore(), clock=clock)
    _truncate_all(direct.extensions["db"])
    keyring.generate(tmp_path / "keys")
    certificate_files.clear_caches()
    _summary, people = seed(direct.extensions["db"], direct.extensions["pii"], clock.today(), count=0)
    verify_path = path_of(printed_text(direct, people[0]))
    query_path = "/" + make_link(settings, [certificate_of(direct, people[0]).public_id]).split("/", 3)[3]
    direct.extensions["db"].engine.dispose()
    with FaultProxy(3306) as proxy:
        via_proxy = mariadb_url.replace("127.0.0.1:3306", f"127.0.0.1:{proxy.port}")
        chosen = replace(settings, database={"url": via_proxy, "connect_timeout": 0.5, "read_timeout": 1.0,
                                             "write_timeout": 1.0, "statement_timeout": 0.8})
        app = create_app(chosen, store=MemoryStore(), clock=clock)
        app.test_client().get(verify_path)  # a pooled connection exists when the fault begins
        getattr(proxy, request.param)()
        yield Proxied(app, proxy, verify_path, query_path, f"{people[0].id_number} {people[0].name}")
        app.extensions["db"].engine.dispose()


def test_pages_answer_a_chinese_503_with_retry_after(proxied: Proxied) -> None:
    for path in (proxied.verify_path, proxied.query_path):
        page = proxied.app.test_client().get(path)
        assert page.status_code == 503 and "服务暂时不可用" in page.text
        assert page.headers["Retry-After"] == "5"


def test_the_api_answers_json_503_with_retry_after(proxied: Proxied) -> None:
    res = proxied.app.test_client().post("/api/verify", json={"text": "http://localhost" + proxied.verify_path})
    assert res.status_code == 503 and res.headers["Retry-After"] == "5"
    assert res.json is not None and res.json["error"] == 503 and res.json["message"]


def test_the_webhook_answers_a_query_politely(proxied: Proxied) -> None:
    reply = WeChatServer(proxied.app.test_client(), proxied.app.config["SETTINGS"]).send_text("o-1", proxied.holder)
    assert reply.status == 200 and "系统繁忙，请稍后再试" in reply.text


def test_liveness_stays_up_and_readiness_names_the_database(proxied: Proxied) -> None:
    client = proxied.app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json is not None
    assert ready.json["checks"]["database"]["ok"] is False and ready.json["checks"]["signing_key"]["ok"] is True


def test_pages_answer_again_once_the_database_is_back(proxied: Proxied) -> None:
    client = proxied.app.test_client()
    assert client.get(proxied.verify_path).status_code == 503
    proxied.proxy.restore()
    assert eventually(lambda: client.get(proxied.verify_path).status_code == 200)


def test_the_server_stops_a_statement_that_runs_past_the_limit(mariadb_url: str) -> None:
    database = Database(mariadb_url, Limits(statement=0.3))
    try:
        with pytest.raises(OperationalError), database.session() as session:
            session.execute(text("SELECT SLEEP(5) FROM (SELECT 1 UNION SELECT 2) AS two"))
    finally:
        database.engine.dispose()


@pytest.mark.parametrize("fault", ["cut", "freeze"])
def test_a_database_lost_after_the_last_query_does_not_turn_the_answer_into_an_error(
        mariadb_url: str, tmp_path: Path, fault: str) -> None:
    with FaultProxy(3306) as proxy:
        settings = replace(Settings(), server={"env": "test", "base_url": "http://localhost"},
                           database={"url": mariadb_url.replace("127.0.0.1:3306", f"127.0.0.1:{proxy.port}"),
                                     "read_timeout": 1.0},
                           signing={"key_dir": str(tmp_path / "keys")})
        app = create_app(settings, store=MemoryStore())

        def answered_then_lost() -> str:
            deps.db_session().execute(text("SELECT 1"))  # the transaction is open until teardown
            getattr(proxy, fault)()
            return "答复已生成"

        app.add_url_rule("/probe", view_func=answered_then_lost)
        res = app.test_client().get("/probe")
        assert res.status_code == 200 and res.text == "答复已生成"
        app.extensions["db"].engine.dispose()
