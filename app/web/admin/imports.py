"""Imports in the back office: upload an export, watch its progress, read its summary and report, history.

Operators only, each within their 签发机关 (another authority's job is a 404). The upload is sealed
on disk as it arrives (app/web/uploads.py) and run outside the request (app/tasks.py); the job page
polls `progress` (app/static/import-progress.js), so a reload shows where the run is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from app.domain.importjobs import (
    DIED,
    NO_WORKER,
    STATE_LABELS,
    JobState,
    is_finished,
    pace,
    percent,
    shown_state,
    waits_for_a_worker,
)
from app.services import importjobs
from app.services.timeutil import utc_naive
from app.storage.models import ImportJob
from app.tasks import start_import, upload_dir
from app.web import deps
from app.web.admin import bp
from app.web.admin.auth import current_staff, roles_required
from app.web.bodylimit import body_limit
from app.web.errors import render_error
from app.web.filters import duration_text, seconds_text
from app.web.uploads import FORM_OVERHEAD, sealed, sealed_uploads

ROLE = "operator"
EXTENSIONS = (".csv", ".xlsx")


def _max_bytes() -> int:
    return deps.settings().imports.max_upload_mb * 1024 * 1024


def _upload_folder() -> Path:
    return upload_dir(deps.settings())


def _too_large() -> str:
    return f"文件过大：最大 {deps.settings().imports.max_upload_mb} MB。请拆分成几个文件分别导入。"


def _reap() -> None:
    """Record jobs whose worker died as failed (and delete their files) before showing any."""
    db = deps.db_session()
    if importjobs.reap_dead(db, deps.clock().now(), _upload_folder()):
        db.commit()


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    _reap()
    jobs = importjobs.history(db, staff)
    return render_template("admin/imports.html", staff=staff, jobs=jobs, error=error, view=_view,
                           max_mb=deps.settings().imports.max_upload_mb), status


@bp.get("/imports")
@roles_required(ROLE)
def imports() -> tuple[str, int]:
    return _page()


@bp.post("/imports")
@roles_required(ROLE)
@body_limit(lambda: _max_bytes() + FORM_OVERHEAD)
@sealed_uploads(_upload_folder)
def upload_import() -> BaseResponse | tuple[str, int]:
    """Keep the sealed upload, record a queued job, hand it to the worker; then show its page."""
    file = request.files.get("export")
    upload = sealed(file)
    if file is None or upload is None or not file.filename:
        return _page("请选择要导入的文件（CSV 或 XLSX）", 400)
    if not file.filename.lower().endswith(EXTENSIONS):
        return _page("只能导入 CSV 或 XLSX 文件（考试系统导出的表格）", 400)
    if upload.size == 0:
        return _page("文件是空的，请确认选择了正确的文件", 400)
    if upload.size > _max_bytes():
        return _page(_too_large(), 413)
    staff, db = current_staff(), deps.db_session()
    assert staff is not None
    job = importjobs.create(db, staff, upload, Path(file.filename).name, request.form.get("dry_run") == "1",
                            deps.clock().now())
    db.commit()
    start_import(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    return redirect(url_for("admin.import_job", job_id=job.id))


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> Any:
    """An upload over the cap is refused before it is read: say the limit in Chinese on the import page."""
    if request.endpoint == "admin.upload_import" and current_staff() is not None:
        return _page(_too_large(), 413)
    return render_error(413)


def _job(job_id: int) -> ImportJob:
    staff = current_staff()
    assert staff is not None
    _reap()
    job = importjobs.visible(deps.db_session(), staff, job_id)
    if job is None:
        abort(404)
    return job


@dataclass(frozen=True)
class JobView:
    """What the job page and its progress endpoint show."""

    id: int
    state: str
    label: str
    finished: bool
    rows_done: int
    rows_total: int | None
    percent: int | None
    rate: str
    time_left: str
    duration: str
    error: str | None
    died: bool
    note: str | None
    counts: dict[str, int]
    report_url: str | None


def _view(job: ImportJob, now: datetime | None = None) -> JobView:
    moment = utc_naive(now or deps.clock().now())
    state = shown_state(job.state, job.heartbeat_at, moment)
    died = state is JobState.FAILED and job.state == JobState.RUNNING.value
    running = state is JobState.RUNNING
    speed = pace(job.rows_done, job.rows_total, job.started_at, moment) if running else None
    end = job.finished_at or (moment if running else job.heartbeat_at)
    elapsed = end - job.started_at if job.started_at and end else None
    counts = {"rows": job.rows, "accepted": job.accepted, "updated": job.updated, "reissued": job.reissued,
              "unchanged": job.unchanged, "rejected": job.rejected}
    return JobView(
        id=job.id, state=state.value, label=STATE_LABELS[state], finished=is_finished(state),
        rows_done=job.rows_done, rows_total=job.rows_total,
        percent=100 if state is JobState.DONE else percent(job.rows_done, job.rows_total),
        rate=f"{speed.rows_per_second:.0f} 行/秒" if speed and speed.rows_per_second else "—",
        time_left=seconds_text(speed.seconds_left if speed else None),
        duration=_duration(elapsed), error=DIED if died else job.error, died=died or job.error == DIED,
        note=NO_WORKER if waits_for_a_worker(state, job.created_at, moment) else None,
        counts=counts,
        report_url=url_for("admin.import_report", job_id=job.id) if job.report_enc is not None else None)


def _duration(span: timedelta | None) -> str:
    if span is None:
        return "—"
    return seconds_text(span.total_seconds()) if span < timedelta(hours=1) else duration_text(span)


@bp.get("/imports/<int:job_id>")
@roles_required(ROLE)
def import_job(job_id: int) -> str:
    job = _job(job_id)
    return render_template("admin/import_job.html", staff=current_staff(), job=job, view=_view(job))


@bp.get("/imports/<int:job_id>/progress")
@roles_required(ROLE)
def import_progress(job_id: int) -> Response:
    """The job's progress as JSON, polled by the job page."""
    return jsonify(asdict(_view(_job(job_id))))


@bp.get("/imports/<int:job_id>/report.csv")
@roles_required(ROLE)
def import_report(job_id: int) -> Response:
    """The rejected rows with row number, column and reason: CSV, UTF-8 with BOM, for Excel."""
    job = _job(job_id)
    data = importjobs.report_csv(job, deps.pii())
    if data is None:
        abort(404)
    name = f"import-{job.id}-rejected.csv"
    return Response(data, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
