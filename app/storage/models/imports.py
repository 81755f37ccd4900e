"""A record of each bulk import run, for operators and for resuming; the back office's import jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.mysql import MEDIUMBLOB
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow


class ImportRun(Base):
    """Counts of one run of `certs import`; `status` is running, finished or failed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


# The rejected-rows report is stored encrypted in the row (bounded: app.services.importjobs.MAX_REPORT_BYTES):
# up to 16 MiB, MEDIUMBLOB on MariaDB/MySQL (a plain BLOB there holds 64 KiB); SQLite has one BLOB.
REPORT_BLOB = LargeBinary().with_variant(MEDIUMBLOB(), "mysql", "mariadb")


class ImportJob(Base):
    """One import started in the back office: who, which file, its state, progress and counts.

    The uploaded file waits encrypted under `imports.upload_dir` as `stored_name` (None once it is
    deleted, at the end of the run whatever the outcome). `heartbeat_at` is written while the job
    runs; app.domain.importjobs.shown_state reads a silent one as a dead worker.
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    staff_username: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(100), index=True)  # the uploader's 签发机关, or "*"
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    rows_total: Mapped[int | None] = mapped_column(Integer)  # an estimate (lines or the sheet's dimension)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)  # new certificates
    updated: Mapped[int] = mapped_column(Integer, default=0)  # updated in place, reissues not included
    reissued: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    report_enc: Mapped[bytes | None] = mapped_column(REPORT_BLOB)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
