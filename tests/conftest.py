"""Shared fixtures: settings, app, client and runner on SQLite and on MariaDB, plus standard users."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from app import create_app
from app.clock import FixedClock
from app.config import Settings, replace
from app.integrations.kvstore import MemoryStore
from app.storage.db import Base, Database
from tests.services import MARIADB_ROOT_URL, require_mariadb

# Unless told otherwise, integration tests run on both databases.
BACKENDS = os.environ.get("TEST_DATABASES", "sqlite,mariadb").split(",")
TEST_NOW = datetime(2026, 11, 28, 10, 0)


def _mariadb_database() -> Iterator[str]:
    """A throwaway MariaDB database for this test session."""
    require_mariadb()
    name = f"ecert_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(MARIADB_ROOT_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield MARIADB_ROOT_URL.rsplit("/", 1)[0] + f"/{name}?charset=utf8mb4"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database URL, once per backend per session."""
    if request.param == "mariadb":
        gen = _mariadb_database()
        url = next(gen)
    else:
        gen = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    from app.cli.db import upgrade

    database = Database(url)
    upgrade(database)
    database.engine.dispose()
    yield url
    if gen is not None:
        next(gen, None)


def _truncate_all(database: Database) -> None:
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings: the session's database, a private key directory, dev tools on."""
    return replace(
        Settings(),
        server={"env": "test", "base_url": "http://localhost"},
        database={"url": database_url},
        signing={"key_dir": str(tmp_path / "keys")},
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Flask]:
    """A fresh app over an emptied database and an in-process store."""
    application = create_app(settings, store=MemoryStore(), clock=clock)
    database: Database = application.extensions["db"]
    _truncate_all(database)
    yield application
    database.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
