"""Pooled MariaDB connections: one round trip less per request, and a dropped connection heals itself."""

from __future__ import annotations

from collections.abc import Iterator

import pymysql.connections
import pytest
from sqlalchemy import create_engine, text

from app.storage import db as db_module
from app.storage.db import Database
from tests.conftest import _mariadb_database


@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    yield from _mariadb_database()


@pytest.fixture
def database(mariadb_url: str) -> Iterator[Database]:
    database = Database(mariadb_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command the driver sends to the server (queries by text, pings as "PING")."""
    commands: list[str] = []
    query = pymysql.connections.Connection.query
    ping = pymysql.connections.Connection.ping
    rollback = pymysql.connections.Connection.rollback

    def record_query(self: pymysql.connections.Connection, sql: str, unbuffered: bool = False) -> int:
        commands.append(sql.strip().split()[0].upper())
        return query(self, sql, unbuffered)

    def record_ping(self: pymysql.connections.Connection, reconnect: bool = True) -> None:
        commands.append("PING")
        ping(self, reconnect)

    def record_rollback(self: pymysql.connections.Connection) -> None:
        commands.append("ROLLBACK")
        rollback(self)

    monkeypatch.setattr(pymysql.connections.Connection, "query", record_query)
    monkeypatch.setattr(pymysql.connections.Connection, "rollback", record_rollback)
    monkeypatch.setattr(pymysql.connections.Connection, "ping", record_ping)
    return commands


def _connection_id(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(text("SELECT CONNECTION_ID()")) or 0)


def test_a_busy_connection_costs_one_query_and_one_rollback(database: Database, sent: list[str]) -> None:
    _connection_id(database)  # warm the pool
    sent.clear()
    with database.sessionmaker() as session:
        session.scalar(text("SELECT 1 + 1"))
    assert sent == ["SELECT", "ROLLBACK"]  # no pre-ping, no second rollback from the pool


def test_a_connection_dropped_while_idle_is_replaced_without_an_error(
        database: Database, mariadb_url: str, sent: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = _connection_id(database)
    killer = create_engine(mariadb_url)  # the server (or a firewall) drops the idle connection
    with killer.connect() as other:
        other.execute(text(f"KILL {first}"))
    killer.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
    second = _connection_id(database)
    assert second != first
    assert "SELECT" in sent


def test_a_transaction_left_open_never_leaks_into_the_next_checkout(database: Database) -> None:
    with database.engine.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS leak_probe (n INT)"))
        conn.commit()
    try:
        with database.sessionmaker() as session:  # closed without commit
            session.execute(text("INSERT INTO leak_probe VALUES (1)"))
        with database.session() as session:
            assert session.scalar(text("SELECT COUNT(*) FROM leak_probe")) == 0
    finally:
        with database.engine.begin() as conn:
            conn.execute(text("DROP TABLE leak_probe"))
