"""The production path: an upload is queued on RQ over the real Redis and `flask worker` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.config import Settings, replace
from app.storage.models import ImportJob
from app.tasks import queue
from tests.integration.review_fixtures import make_staff, staff_login
from tests.integration.test_import import GOOD, lookup
from tests.integration.test_import_jobs import SECOND, export, upload
from tests.services import REDIS_URL, require_redis


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    require_redis()
    queue(REDIS_URL).empty()
    return replace(settings, redis={"url": REDIS_URL}, imports={"upload_dir": str(tmp_path / "imports")})


def test_a_queued_upload_waits_for_the_worker_which_runs_it(app: Flask, client: FlaskClient,
                                                            runner: FlaskCliRunner, settings: Settings) -> None:
    make_staff(app, "cq.operator", role="operator")
    staff_login(client, "cq.operator")
    response = upload(client, export([GOOD, SECOND]))
    assert response.status_code == 302
    url = response.headers["Location"]
    assert client.get(url + "/progress").get_json()["state"] == "queued"  # no thread: it waits on the queue
    assert queue(REDIS_URL).count == 1
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    progress = client.get(url + "/progress").get_json()
    assert progress["state"] == "done" and progress["counts"]["accepted"] == 2
    assert lookup(app, "11010519491231002X", "张伟")
    assert list(Path(settings.imports.upload_dir).iterdir()) == []
    with app.extensions["db"].session() as session:
        job = session.scalar(select(ImportJob))
        assert job is not None and job.stored_name is None and job.finished_at is not None


def test_the_worker_refuses_to_start_without_redis(app: Flask, runner: FlaskCliRunner, settings: Settings) -> None:
    app.config["SETTINGS"] = replace(settings, redis={"url": ""})
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "redis.url is not set" in result.output
