"""Engine and session factory; identical behaviour on SQLite (embedded default) and MariaDB.

A request must not wait on a frozen database longer than a few seconds: the app's engine carries
connect, read and write timeouts and a per-statement limit (`Limits`), so a stuck server turns into
an OperationalError the error pages answer with 503. Long jobs (migrations, imports, demo seeding)
take `Database.for_jobs()`: the same database with only a connect timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, create_engine, event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# MySQL's plain BLOB holds only 64 KB: photos and rendered files need LONGBLOB there.
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class Base(DeclarativeBase):
    """Declarative base for every model."""


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 32 MB page cache (default 2 MB): random-key indexes (blind indexes) thrash a small cache.
    # Since the keys are 16 bytes (migration 0007) a 1,000,000-row import runs as fast with 32 MB
    # as with 96 MB (15,393 against 14,936 rows/s), at 191 MB peak RSS instead of 262; and the
    # cache is per connection.
    cursor.execute("PRAGMA cache_size=-32768")
    # Checkpoint every ~400 MB of WAL instead of 4 MB: an import batch dirties thousands of random
    # index pages, and fewer checkpoints copy each page back (and fsync) fewer times. After a
    # checkpoint the WAL file is cut back to 64 MB, so the disk space is not kept.
    cursor.execute("PRAGMA wal_autocheckpoint=100000")
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()


@dataclass(frozen=True)
class Limits:
    """Seconds a connection may take to connect, to read an answer, to send, and a statement to run.

    None means no limit. On SQLite, `statement` is the busy timeout (how long to wait for a lock).
    """

    connect: float = 2.0
    read: float | None = 3.0
    write: float | None = 3.0
    statement: float | None = 2.5


JOB_LIMITS = Limits(read=None, write=None, statement=None)
SQLITE_JOB_BUSY_TIMEOUT = 30.0  # an import waits for the dev server's short writes rather than failing


def make_engine(url: str, limits: Limits = JOB_LIMITS) -> Engine:
    """Create an engine; MySQL gets utf8mb4, timeouts and idle pings, SQLite gets WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy = limits.statement if limits.statement is not None else SQLITE_JOB_BUSY_TIMEOUT
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
    # Sessions and connections always end their transaction when they close, so the pool's own
    # reset-on-return would only send a second ROLLBACK; and instead of pinging on every checkout
    # (pool_pre_ping: one more round trip per request) a connection is pinged when it has sat idle
    # long enough for a server or firewall timeout to have dropped it.
    engine = create_engine(parsed, pool_recycle=3600, pool_reset_on_return=None, pool_timeout=limits.connect,
                           connect_args=driver_timeouts(parsed.get_driver_name(), limits))
    event.listen(engine, "checkin", _mark_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    if limits.statement is not None:
        event.listen(engine, "connect", _statement_limit(limits.statement))
    return engine


def driver_timeouts(driver: str, limits: Limits) -> dict[str, Any]:
    """pymysql's socket timeouts (other drivers get none of ours)."""
    if driver != "pymysql":
        return {}
    timeouts = {"connect_timeout": limits.connect, "read_timeout": limits.read, "write_timeout": limits.write}
    return {name: value for name, value in timeouts.items() if value is not None}


def statement_limit_sql(server_version: str, seconds: float) -> str:
    """The session setting that makes the server itself stop a statement after `seconds`.

    MariaDB's max_statement_time (seconds) covers every statement; MySQL's max_execution_time
    (milliseconds) covers SELECT only.
    """
    if "mariadb" in server_version.lower():
        return f"SET SESSION max_statement_time = {seconds:g}"
    return f"SET SESSION max_execution_time = {int(seconds * 1000)}"


def _statement_limit(seconds: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement_limit_sql(str(dbapi_connection.get_server_info()), seconds))
        finally:
            cursor.close()
    return on_connect


PING_AFTER_IDLE = 10.0  # seconds a pooled connection may sit unused before it is checked on checkout


def _mark_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling for idle connections: a dead one is replaced transparently."""
    idle_since = record.info.get("checked_in")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as exc:  # the driver's OperationalError/InterfaceError: the connection is gone
        raise DisconnectionError() from exc


class Database:
    """Holds the engine and the session factory for one app."""

    def __init__(self, url: str, limits: Limits = JOB_LIMITS) -> None:
        self.url, self.limits = url, limits
        self.engine = make_engine(url, limits)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._jobs: Database | None = None

    def for_jobs(self) -> Database:
        """The same database without read or statement limits (migrations, imports, seeding)."""
        if self.limits == JOB_LIMITS:
            return self
        if self._jobs is None:
            self._jobs = Database(self.url, JOB_LIMITS)
        return self._jobs

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
