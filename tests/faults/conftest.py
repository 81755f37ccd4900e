"""The fault suite's world: its own Redis and MariaDB, the loopback fake WeChat, and the app under
gunicorn (2 workers) configured as in production (dev tools off, safe mode, real timeouts).

Run with `make faults`. Setup data is written through an in-process app on the same configuration.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app import config, create_app
from app.cli.db import upgrade
from app.devtools.fake_wechat import FakeWeChatState, create_fake_wechat_app
from app.devtools.loopback import LoopbackServer, serve_in_thread
from app.domain.workdays import YearCalendar
from app.services import certificate_files, keyring
from app.services.calendar import current_calendar, store_year
from app.services.seed import seed
from app.services.staff import create_staff
from app.web.query_pages import make_link
from tests.faults.servers import ROOT, Gunicorn, MariaDB, Redis, free_port
from tests.integration.review_fixtures import import_holder
from tests.integration.verify_fixtures import certificate_of, printed_text

APP_ID, APP_SECRET = "wxfaults000000001", "faults-app-secret"
STAFF, PASSWORD = "fault-reviewer", "correct-horse-battery-staple"
WORKERS_PER_PHASE = 45


@dataclass
class World:
    """Everything a fault phase needs."""

    tmp: Path
    redis: Redis
    mariadb: MariaDB
    web: Gunicorn
    fake: FakeWeChatState
    app: Flask  # in-process, same configuration: setup and final checks
    holder: str  # "ID number name" of a valid demo holder
    scan_text: str  # the QR text printed on that holder's certificate
    verify_path: str
    query_path: str
    workers: list[list[str]]  # per phase: openids registered (claimed) as holders, for manual review
    results: list[object] = field(default_factory=list)

    def session_cookie(self, openid: str) -> str:
        """What WeChat sign-in leaves in the browser: a signed session naming the openid."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
        return str(serializer.dumps({"h5_openid": openid, "_permanent": True}))


def _write_config(path: Path, world_tmp: Path, web_port: int, redis_url: str, database_url: str,
                  fake_url: str) -> Path:
    path.write_text(f"""
[server]
base_url = "http://127.0.0.1:{web_port}"
secret_key = "{secrets.token_urlsafe(48)}"
env = "development"
dev_tools = false
[database]
url = "{database_url}"
[redis]
url = "{redis_url}"
[signing]
key_dir = "{world_tmp / 'keys'}"
[wechat]
app_id = "{APP_ID}"
app_secret = "{APP_SECRET}"
message_mode = "safe"
api_base_url = "{fake_url}/"
oauth_base_url = "{fake_url}/"
""", encoding="utf-8")
    return path


def _prepare(app: Flask, phases: int) -> tuple[str, str, str, str, list[list[str]]]:
    """Schema, signing key, demo holders, next year's calendar, a reviewer and workers to file reviews."""
    upgrade(app.extensions["db"].for_jobs())
    keyring.generate(Path(app.config["SETTINGS"].signing.key_dir))
    certificate_files.clear_caches()
    today = app.extensions["clock"].today()
    _summary, people = seed(app.extensions["db"].for_jobs(), app.extensions["pii"], today, count=0)
    with app.extensions["db"].session() as session:
        known = current_calendar(session).years()
        for year in (today.year, today.year + 1):  # readiness wants today + 60 days (test data: weekends only)
            if year not in known:
                store_year(session, YearCalendar(year, frozenset(), frozenset()))
        create_staff(session, STAFF, PASSWORD, "reviewer", "重庆市应急管理局", app.extensions["clock"].now())
    scan_text = printed_text(app, people[0])
    verify_path = "/" + scan_text.split("/", 3)[3]
    settings = app.config["SETTINGS"]
    query_path = "/" + make_link(settings, [certificate_of(app, people[0]).public_id]).split("/", 3)[3]
    workers = [[import_holder(app, seed=100 * phase + n, openid=f"o-review-{phase}-{n}").openid
                for n in range(WORKERS_PER_PHASE)] for phase in range(phases)]
    return f"{people[0].id_number} {people[0].name}", scan_text, verify_path, query_path, workers


def _require_servers() -> None:
    """The server programs (Debian packages redis-server and mariadb-server); skip, or fail under CI."""
    missing = [name for name in ("redis-server", "mariadbd", "mariadb-install-db")
               if not shutil.which(name) and not Path(f"/usr/sbin/{name}").exists()]
    if missing:
        message = f"the fault suite needs {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: the fault suite must run)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Start everything once for the whole suite; stop it afterwards."""
    _require_servers()
    tmp = tmp_path_factory.mktemp("faults")
    redis, mariadb = Redis("redis", tmp), MariaDB("mariadb", tmp)
    fake = FakeWeChatState(app_id=APP_ID, app_secret=APP_SECRET)
    fake_server: LoopbackServer = serve_in_thread(create_fake_wechat_app(fake))
    web = Gunicorn("web", tmp, port=free_port())
    try:
        redis.start()
        mariadb.install()
        mariadb.start()
        admin = create_engine(mariadb.url("mysql"))
        with admin.begin() as conn:
            conn.execute(text("CREATE DATABASE ecert CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        admin.dispose()
        web.config = _write_config(tmp / "config.toml", tmp, web.port, redis.url, mariadb.url("ecert"),
                                   fake_server.url)
        app = create_app(config.load(web.config))
        holder, scan_text, verify_path, query_path, workers = _prepare(app, phases=4)
        web.start()
        yield World(tmp, redis, mariadb, web, fake, app, holder, scan_text, verify_path, query_path, workers)
    finally:
        web.stop()
        mariadb.stop()
        redis.stop()
        fake_server.stop()
        _keep_logs(tmp)


def _keep_logs(tmp: Path) -> None:
    """The servers' logs outlive pytest's temporary directory, for a failure to be read later."""
    kept = ROOT / "var" / "faults"
    kept.mkdir(parents=True, exist_ok=True)
    for log in tmp.glob("*.log"):
        shutil.copy(log, kept / log.name)


