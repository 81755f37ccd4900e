"""Engine and session factory; identical behaviour on SQLite (embedded default) and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import LargeBinary, create_engine, event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine, make_url
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
    # 32 MB page cache (default 2 MB): random-key indexes (blind-index hashes) thrash a small cache.
    cursor.execute("PRAGMA cache_size=-32768")
    # Checkpoint every ~40 MB of WAL instead of 4 MB: an import batch dirties thousands of random
    # index pages, and fewer checkpoints write each page (and fsync) fewer times.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; MySQL gets utf8mb4 and pre-ping, SQLite gets WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
    return create_engine(parsed, pool_pre_ping=True, pool_recycle=3600)


class Database:
    """Holds the engine and the session factory for one app."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

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
