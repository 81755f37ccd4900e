"""Import jobs started in the back office: the upload, the run outside the request, the history.

An operator's upload reaches the disk only sealed (app.storage.sealedfile, the personal-data
cipher) and waits under `imports.upload_dir` until a worker runs it through the same importer as
`flask certs import` (app.services.importer: one rule for every row, real run and dry run alike).
The file is deleted when the run ends, whatever the outcome. While it runs, a heartbeat thread
writes the rows read so far every HEARTBEAT_SECONDS; a job whose heartbeat stopped is shown as
failed (app.domain.importjobs) and `reap_dead` records it so, deleting its file.

The rejected-rows report is kept encrypted in the job's row, not as a file: it holds ID numbers,
every instance (and the worker, wherever it runs) reaches the database, and it is bounded
(importreport.MAX_REPORT_LINES; past MAX_REPORT_BYTES it is cut at a line with a note).
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exc as db_errors
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.domain.catalogue import Catalogue
from app.domain.importjobs import DIED, HEARTBEAT_SECONDS, STALE_AFTER, JobState
from app.domain.pii import PiiCipher
from app.domain.staffpolicy import ALL_AUTHORITIES
from app.services import audit
from app.services.importer import ImportOptions, ImportSummary, import_opened
from app.services.importsource import ImportRefused
from app.services.staff import StaffView
from app.services.timeutil import utc_naive
from app.storage.db import Database
from app.storage.models import ImportJob
from app.storage.sealedfile import SealedFileError, SealedWriter, open_sealed

log = logging.getLogger(__name__)

MAX_REPORT_BYTES = 8 * 1024 * 1024
REPORT_CUT = "\r\n,,报告超过8MB，其余行未列出（被拒绝的总行数见导入摘要）\r\n"
HISTORY = 50
DATABASE_LOST = "数据库连接中断，已导入的批次已保存。请在数据库恢复后重新导入同一文件，已导入的行会计为“未变”。"
SEALED_DAMAGED = "上传的文件在等待期间丢失、损坏或无法解密，未导入任何数据，请重新上传"
INTERNAL = "导入时发生内部错误（{kind}），已导入的批次已保存；请联系系统管理员"


def _report_context(job_id: int) -> bytes:
    return f"import_jobs.report:{job_id}".encode()


def create(session: Session, staff: StaffView, upload: SealedWriter, file_name: str, dry_run: bool,
           now: datetime) -> ImportJob:
    """Record a sealed upload as a queued job of this staff member's 签发机关, and audit it."""
    upload.keep()
    job = ImportJob(staff_id=staff.id, staff_username=staff.username, authority=staff.authority,
                    file_name=file_name[:255], file_sha256=upload.sha256, file_size=upload.size,
                    stored_name=upload.name, dry_run=dry_run, state=JobState.QUEUED.value,
                    rows_done=0, rows=0, accepted=0, updated=0, reissued=0, unchanged=0, rejected=0,
                    created_at=utc_naive(now))
    session.add(job)
    session.flush()
    audit.record(session, audit.staff_actor(staff.username), "import.upload", f"import_job:{job.id}",
                 {"file_name": job.file_name, "sha256": job.file_sha256, "size": job.file_size,
                  "dry_run": dry_run}, now)
    return job


def visible(session: Session, staff: StaffView, job_id: int) -> ImportJob | None:
    """The job if this staff member's scope covers it (another authority's jobs do not exist for them)."""
    job = session.get(ImportJob, job_id)
    if job is None or not (staff.all_authorities or job.authority == staff.authority):
        return None
    return job


def history(session: Session, staff: StaffView, limit: int = HISTORY) -> list[ImportJob]:
    """The latest jobs within this staff member's scope, newest first."""
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if not staff.all_authorities:
        query = query.where(ImportJob.authority == staff.authority)
    return list(session.scalars(query))


def waiting_count(session: Session, staff: StaffView) -> int:
    """Jobs of this staff member's scope queued or running (the dashboard's imports card)."""
    query = select(func.count()).select_from(ImportJob).where(
        ImportJob.state.in_((JobState.QUEUED.value, JobState.RUNNING.value)))
    if not staff.all_authorities:
        query = query.where(ImportJob.authority == staff.authority)
    return int(session.scalar(query) or 0)


def report_csv(job: ImportJob, pii: PiiCipher) -> bytes | None:
    """The rejected-rows report (UTF-8 with BOM, for Excel), or None when nothing was rejected."""
    if job.report_enc is None:
        return None
    return pii.decrypt(job.report_enc, _report_context(job.id))


def reap_dead(session: Session, now: datetime, upload_dir: Path) -> int:
    """Record running jobs whose heartbeat stopped as failed and delete their files; how many there were."""
    cutoff = utc_naive(now) - STALE_AFTER
    dead = list(session.scalars(select(ImportJob).where(
        ImportJob.state == JobState.RUNNING.value, ImportJob.heartbeat_at < cutoff)))
    for job in dead:
        job.state, job.error, job.finished_at = JobState.FAILED.value, DIED, job.heartbeat_at
        _delete_upload(job, upload_dir)
    return len(dead)


def fail_unqueued(database: Database, job_id: int, upload_dir: Path, reason: str) -> None:
    """A job that could not be handed to a worker: failed at once, its file deleted."""
    with database.session() as session:
        job = session.get(ImportJob, job_id)
        if job is not None:
            job.state, job.error = JobState.FAILED.value, reason
            _delete_upload(job, upload_dir)


def _delete_upload(job: ImportJob, upload_dir: Path) -> None:
    if job.stored_name:
        (upload_dir / job.stored_name).unlink(missing_ok=True)
        job.stored_name = None


@dataclass(frozen=True)
class Runner:
    """What running a job needs (the worker process or the development server's thread provides it)."""

    database: Database
    pii: PiiCipher
    catalogue: Catalogue
    clock: Clock
    upload_dir: Path
    workers: int = 0  # validation processes: only a process that owns itself (`flask worker`) forks them


def run(runner: Runner, job_id: int) -> JobState | None:
    """Run a queued job to its end; None if it was not waiting (already run, or unknown)."""
    job = _claim(runner, job_id)
    if job is None:
        return None
    summary, report = ImportSummary(), io.StringIO()
    beat = _Heartbeat(runner, job_id, summary)
    options = ImportOptions(dry_run=job.dry_run, report=report, workers=runner.workers, summary=summary,
                            on_total=beat.total, authority=None if job.all_authorities else job.authority)
    beat.start()
    try:
        state, error = _import(runner, job_id, job, options)
    finally:
        beat.stop()
    _finish(runner, job_id, summary, state, error, report.getvalue())
    return state


def _import(runner: Runner, job_id: int, job: _Claimed, options: ImportOptions) -> tuple[JobState, str | None]:
    """The importer's run over the sealed upload; a failure as the Chinese sentence the page shows."""
    try:
        if job.stored_name is None:
            raise FileNotFoundError("the upload was deleted before its run")
        path = runner.upload_dir / job.stored_name
        import_opened(lambda: open_sealed(runner.pii, path), job.file_name, job.file_sha256, runner.database,
                      runner.pii, runner.catalogue, options)
    except ImportRefused as exc:
        return JobState.FAILED, exc.message
    except (SealedFileError, FileNotFoundError):
        return JobState.FAILED, SEALED_DAMAGED
    except (db_errors.OperationalError, db_errors.InterfaceError):
        return JobState.FAILED, DATABASE_LOST
    except Exception as exc:  # a bug: the page says so, the log has the traceback
        log.exception("import job %s failed", job_id)
        return JobState.FAILED, INTERNAL.format(kind=type(exc).__name__)
    return JobState.DONE, None


@dataclass(frozen=True)
class _Claimed:
    stored_name: str | None
    file_name: str
    file_sha256: str
    dry_run: bool
    authority: str

    @property
    def all_authorities(self) -> bool:
        return self.authority == ALL_AUTHORITIES


def _claim(runner: Runner, job_id: int) -> _Claimed | None:
    """Mark a queued job running, in one statement, so two workers never both take it."""
    now = utc_naive(runner.clock.now())
    with runner.database.session() as session:
        taken = session.execute(update(ImportJob).where(
            ImportJob.id == job_id, ImportJob.state == JobState.QUEUED.value).values(
            state=JobState.RUNNING.value, started_at=now, heartbeat_at=now)).rowcount  # type: ignore[attr-defined]
        if not taken:
            return None
        job = session.get(ImportJob, job_id)
        assert job is not None
        return _Claimed(job.stored_name, job.file_name, job.file_sha256, job.dry_run, job.authority)


class _Heartbeat:
    """A thread writing the heartbeat and the rows read so far, every HEARTBEAT_SECONDS."""

    def __init__(self, runner: Runner, job_id: int, summary: ImportSummary) -> None:
        self.runner, self.job_id, self.summary = runner, job_id, summary
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"import-job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def total(self, rows: int | None) -> None:
        self._write(rows_total=rows)

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            self._write()

    def _write(self, **values: object) -> None:
        try:
            with self.runner.database.session() as session:
                session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(
                    heartbeat_at=utc_naive(self.runner.clock.now()), rows_done=self.summary.rows, **values))
        except db_errors.SQLAlchemyError:  # a busy or lost database: the next beat tries again
            log.warning("import job %s: heartbeat not written", self.job_id)


def _finish(runner: Runner, job_id: int, s: ImportSummary, state: JobState, error: str | None, report: str) -> None:
    """Counts, state, report and the end time; the upload deleted; the run audited."""
    now = runner.clock.now()
    with runner.database.session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.state, job.error, job.finished_at, job.heartbeat_at = state.value, error, utc_naive(now), utc_naive(now)
        job.rows = job.rows_done = s.rows
        job.accepted, job.updated, job.reissued = s.accepted, s.updated - s.reissued, s.reissued
        job.unchanged, job.rejected, job.import_run_id = s.unchanged, s.rejected, s.run_id
        job.warnings = "\n".join(s.warnings) or None
        if s.rejected and report:
            job.report_enc = runner.pii.encrypt(bounded_report(report), _report_context(job_id))
        _delete_upload(job, runner.upload_dir)
        audit.record(session, audit.staff_actor(job.staff_username), "import.run", f"import_job:{job_id}",
                     {"state": state.value, "dry_run": job.dry_run, "rows": s.rows, "new": s.accepted,
                      "updated": job.updated, "reissued": s.reissued, "unchanged": s.unchanged,
                      "rejected": s.rejected, "error": error}, now)


def bounded_report(text: str) -> bytes:
    """The report as UTF-8 with a BOM (Excel reads it as Unicode), cut at a line past MAX_REPORT_BYTES."""
    data = text.encode("utf-8-sig")
    if len(data) <= MAX_REPORT_BYTES:
        return data
    cut = data.rfind(b"\r\n", 0, MAX_REPORT_BYTES)
    return data[:cut] + REPORT_CUT.encode()


def counts_text(job: ImportJob) -> str:
    """`新增 3，更新 1，换发 0，未变 2，拒绝 1` for lists and the audit trail."""
    return (f"新增 {job.accepted}，更新 {job.updated}，换发 {job.reissued}，未变 {job.unchanged}，"
            f"拒绝 {job.rejected}")

