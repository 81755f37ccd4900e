"""Work done outside a web request: import jobs, on a job queue or on a thread of the development server.

With `redis.url` set (production requires it) an upload is queued on RQ, a job queue over that
Redis, and `flask worker` runs it (app/cli/worker.py). Without Redis — `make run` on a bare
machine, the embedded default — the development server runs it on a background thread. Either way
the job runs `app.services.importjobs.run`, which calls the same importer as `flask certs import`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import cast

import redis
from flask import Flask, current_app
from rq import Queue

from app.config import Settings
from app.domain.catalogue import Catalogue
from app.services import importjobs
from app.services.importjobs import Runner
from app.storage.db import Database

log = logging.getLogger(__name__)

QUEUE_NAME = "imports"
JOB_TIMEOUT = 6 * 3600  # a 300 MB export is about 1.5 million rows; the slowest machine takes well under this
RESULT_TTL = 24 * 3600  # RQ's own record of a job; ours is the import_jobs row
QUEUE_DOWN = "任务队列（Redis）暂时不可用，文件已删除，未导入任何数据；请稍后重新上传"
THREADS = "import_threads"


def upload_dir(settings: Settings) -> Path:
    return Path(settings.imports.upload_dir)


def runner_for(app: Flask) -> Runner:
    """The parts a job needs, from the app; `import_validation_workers` is set by the process owner."""
    settings = cast(Settings, app.config["SETTINGS"])
    return Runner(cast(Database, app.extensions["db"]).for_jobs(), app.extensions["pii"],
                  Catalogue.load_default(), app.extensions["clock"], upload_dir(settings),
                  int(app.extensions.get("import_validation_workers", 0)))


def queue(url: str, timeout: float | None = None) -> Queue:
    """The imports queue on this Redis (`timeout`: for a web request, which must not hang on it)."""
    connection = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    return Queue(QUEUE_NAME, connection=connection)


def start_import(app: Flask, job_id: int) -> None:
    """Hand a queued job to the worker (Redis configured) or to a thread of this server."""
    settings = cast(Settings, app.config["SETTINGS"])
    if not settings.redis.url:
        thread = threading.Thread(target=_in_thread, args=(app, job_id), name=f"import-job-{job_id}", daemon=True)
        app.extensions.setdefault(THREADS, []).append(thread)
        thread.start()
        return
    try:
        queue(settings.redis.url, timeout=max(settings.redis.timeout, 2.0)).enqueue(
            run_queued_import, job_id, job_id=f"import-job-{job_id}", job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL)
    except redis.RedisError:
        log.warning("import job %s: the queue is unreachable", job_id)
        importjobs.fail_unqueued(app.extensions["db"], job_id, upload_dir(settings), QUEUE_DOWN)


def _in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        importjobs.run(runner_for(app), job_id)


def run_queued_import(job_id: int) -> str | None:
    """What RQ runs inside `flask worker` (the application is the worker's)."""
    state = importjobs.run(runner_for(cast(Flask, current_app._get_current_object())), job_id)  # type: ignore[attr-defined]
    return state.value if state else None


def wait_for_threads(app: Flask, timeout: float = 60.0) -> None:
    """Wait for this server's import threads (tests, and a development server shutting down)."""
    for thread in list(app.extensions.get(THREADS, [])):
        thread.join(timeout)
