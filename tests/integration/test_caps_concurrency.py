"""Caps that must hold when the same person presses the button many times at once (threads, both databases).

On MariaDB each request reads inside its own REPEATABLE READ snapshot: a count taken before the
previous request committed would let every simultaneous request through.
"""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import io
import threading
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.services.seed import DemoPerson
from app.storage.models import FaceAttempt, ManualReviewRequest
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    wechat_settings,
    worker,
)
from tests.integration.review_fixtures import CHONGQING, csrf_from, jpeg_bytes

PRESSES = 8


def _at_once(clients: list[FlaskClient], send: Callable[[FlaskClient], int]) -> list[int]:
    """Run `send` on every client in its own thread, released together; the status codes."""
    barrier, statuses = threading.Barrier(len(clients)), [0] * len(clients)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = send(clients[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _same_browser(app: Flask, original: FlaskClient, count: int) -> list[FlaskClient]:
    """Clients carrying a copy of one browser's session cookie (one person, one session)."""
    cookie = original.get_cookie("session")
    assert cookie is not None
    clients = []
    for _ in range(count):
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        client.environ_base.update(original.environ_base)
        clients.append(client)
    return clients


def _count(app: Flask, model: type[FaceAttempt] | type[ManualReviewRequest]) -> int:
    with app.extensions["db"].session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_simultaneous_face_starts_stay_within_the_daily_cap(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    assert alice.register(holders[0]).status_code == 302
    token = alice.csrf("/h5/face")
    statuses = _at_once(_same_browser(h5_app, alice.client, PRESSES),
                        lambda c: c.post("/h5/face/start", data={"csrf_token": token}).status_code)
    cap = h5_app.config["SETTINGS"].faceid.daily_attempts
    assert _count(h5_app, FaceAttempt) == cap
    assert sorted(statuses) == [302] * cap + [429] * (PRESSES - cap)


def test_simultaneous_review_requests_leave_one_pending(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    assert alice.register(holders[0]).status_code == 302
    token = csrf_from(alice.get("/h5/review/new").text)
    photo = jpeg_bytes()

    def send(client: FlaskClient) -> int:
        return client.post("/h5/review/new", content_type="multipart/form-data", data={
            "csrf_token": token, "authority": CHONGQING, "description": "公安库里没有我的照片",
            "holding_id": (io.BytesIO(photo), "holding.jpg")}).status_code

    statuses = _at_once(_same_browser(h5_app, alice.client, PRESSES), send)
    assert _count(h5_app, ManualReviewRequest) == 1
    assert sorted(statuses) == [302] + [400] * (PRESSES - 1)
