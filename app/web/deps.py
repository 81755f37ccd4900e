"""Request-scoped access to the app's shared parts (settings, session, store, cipher, clock)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.domain.pii import PiiCipher
from app.integrations.kvstore import KVStore
from app.storage.db import Database


def settings() -> Settings:
    return cast(Settings, current_app.config["SETTINGS"])


def database() -> Database:
    return cast(Database, current_app.extensions["db"])


def store() -> KVStore:
    return cast(KVStore, current_app.extensions["store"])


def pii() -> PiiCipher:
    return cast(PiiCipher, current_app.extensions["pii"])


def clock() -> Clock:
    return cast(Clock, current_app.extensions["clock"])


def db_session() -> Session:
    """One session per request, closed at teardown (see init_app)."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return cast(Session, g.db_session)


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
