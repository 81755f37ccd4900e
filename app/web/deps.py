"""Request-scoped access to the app's shared parts (settings, session, store, cipher, clock)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from flask import Flask, current_app, g
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.domain.pii import PiiCipher
from app.integrations.faceid import FaceVerifier
from app.integrations.kvstore import KVStore
from app.integrations.wechat import WeChatApi
from app.storage.db import Database

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from app.services.signing import KeyProvider
    from app.services.verification import Verifier
    from app.services.verification_stats import Tally


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


def signing_keys() -> KeyProvider:
    """The app's cached signing keys (re-read when the key folder changes)."""
    from app.services.certificate_files import signing_context

    return signing_context(current_app).keys


def verifier() -> Verifier:
    """A verification service bound to this request's session (issue 5)."""
    from app.services.verification import Verifier

    return Verifier(db_session(), pii(), signing_keys().public_keys, settings(), clock())


def tally() -> Tally:
    """The process's verification counters (app.services.verification_stats)."""
    return cast("Tally", current_app.extensions["verification_tally"])


def wechat_api() -> WeChatApi:
    """The app's WeChat API client (shares the access token with every process through the store)."""
    return cast(WeChatApi, current_app.extensions["wechat_api"])


def face_verifier() -> FaceVerifier:
    """The app's Tencent FaceID client (a fake one in tests and the dev server)."""
    return cast(FaceVerifier, current_app.extensions["face_verifier"])


def db_session() -> Session:
    """One session per request, closed at teardown (see init_app)."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return cast(Session, g.db_session)


def streamed(session: Session, chunks: Iterator[str]) -> Iterator[str]:
    """A streamed body read with `session`, which is closed when the stream ends.

    The request's teardown has already run by then (Flask pops the context before the body is sent),
    so a session used by the stream would otherwise keep its connection and transaction; the pool does
    not roll back on return (app/storage/db.py), and the next request would read an old snapshot.
    """
    try:
        yield from chunks
    finally:
        session.close()


def close_session(_exc: BaseException | None = None) -> None:
    """End the request's session; a database gone since the last query must not turn the answer into a 500.

    Closing rolls the open transaction back, which needs the server: when it has died or froze after
    the request's last query, the connection is dropped instead (the server ends the transaction).
    """
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except (OperationalError, InterfaceError) as exc:
        log.warning("database session not closed cleanly (%s); its connection is dropped",
                    type(exc.orig or exc).__name__)
        session.invalidate()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
