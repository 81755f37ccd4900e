"""Fixtures for issue 5: a signing key, the demo holders (one per status) and tokens for them.

Import what a module uses explicitly, e.g.
`from tests.integration.verify_fixtures import keyed_app, showcase  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select

from app.clock import FixedClock
from app.services import certificate_files, keyring
from app.services.registry import find_person
from app.services.seed import DemoPerson, seed
from app.storage.models import Certificate

# Index of each showcase holder in app.services.seed (one per status).
VALID, REISSUED, SUSPENDED, REVOKED, CANCELLED, EXPIRED, OVERDUE, UNPUBLISHED, SAFETY_MGMT = range(9)


@pytest.fixture
def keyed_app(app: Flask) -> Flask:
    """The test app with a signing key in its private key folder and empty render caches."""
    keyring.generate(Path(app.config["SETTINGS"].signing.key_dir))
    certificate_files.clear_caches()
    return app


@pytest.fixture
def showcase(keyed_app: Flask, clock: FixedClock) -> list[DemoPerson]:
    """The demo showcase holders; [1] was reissued through an import (version 2 current)."""
    _summary, people = seed(keyed_app.extensions["db"], keyed_app.extensions["pii"], clock.today(), count=0)
    return people


def certificate_of(app: Flask, holder: DemoPerson, version: int | None = None) -> Certificate:
    """The holder's first certificate (a given version, else the current one), detached from its session.

    The VALID holder holds two (低压电工作业 first, then a welding item): the first imported is taken.
    """
    with app.extensions["db"].session() as session:
        person = find_person(session, app.extensions["pii"], holder.id_number)
        assert person is not None
        query = select(Certificate).where(Certificate.person_id == person.id)
        query = query.where(Certificate.version == version) if version else query.where(Certificate.is_current)
        cert = session.scalars(query.order_by(Certificate.id).limit(1)).one()
        session.expunge(cert)
        return cert


def printed_text(app: Flask, holder: DemoPerson, version: int | None = None) -> str:
    """The QR text printed on the holder's certificate file."""
    cert = certificate_of(app, holder, version)
    with app.app_context(), app.extensions["db"].session() as session:
        cert = session.merge(cert)
        return certificate_files.printed_qr_text(certificate_files.signing_context(app), session,
                                                 app.extensions["pii"], cert)


def path_of(text: str) -> str:
    """The local path of a QR URL (http://localhost/v/... -> /v/...)."""
    return "/" + text.split("://", 1)[1].split("/", 1)[1]


@contextmanager
def sql_counter(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement the app executes inside the block."""
    statements: list[str] = []
    engine = app.extensions["db"].engine

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
