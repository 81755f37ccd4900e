"""Bulk import: validate every row, upsert accepted ones idempotently in committed batches.

Each batch is one transaction, so an interrupted run leaves whole batches behind and a
re-run of the same file skips what is already there (unchanged rows are detected by a
fingerprint). A changed row updates the certificate and keeps the previous values; a row
with a later validity start is a reissue and becomes a new version.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import functools
import hashlib
import json
import multiprocessing
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.catalogue import Catalogue
from app.domain.idnumber import mask_middle
from app.domain.importrows import (
    REQUIRED_COLUMNS,
    CertificateRecord,
    RowError,
    check_headers,
    record_fingerprint,
    validate_row,
)
from app.domain.pii import PiiCipher
from app.services.importsource import EXTRA_CELLS, ImportRefused, Source, open_source
from app.services.photos import PhotoError, PhotoStore
from app.services.registry import cert_lookup_hash, id_lookup_hash
from app.storage.db import Database
from app.storage.models import Certificate, CertificateChange, ImportRun, Person, RenewalReview
from app.storage.models._common import utcnow

BATCH_SIZE = 2000
_SNAPSHOT_FIELDS = (
    "category_code", "item_code", "personnel_type_code", "industry_code", "employer", "first_issue_date",
    "valid_from", "valid_until", "exam_passed_date", "issuing_authority", "authority_code", "photo_id",
)


@dataclass
class ImportSummary:
    """What one run did; `warnings` are file-level notes (ignored columns and the like)."""

    rows: int = 0
    accepted: int = 0
    updated: int = 0
    reissued: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None


@dataclass
class ImportOptions:
    photos_dir: Path | None = None
    dry_run: bool = False
    report: TextIO | None = None
    batch_size: int = BATCH_SIZE
    workers: int = 0  # validation processes beside this one (0: validate inline)
    on_progress: Callable[[int], None] | None = None
    on_total: Callable[[int | None], None] | None = None


class ReportWriter:
    """Rejected rows with row number, column and reason, plus the original cells to fix and re-import."""

    def __init__(self, out: TextIO | None, headers: list[str]) -> None:
        self.headers = headers
        self.writer = csv.writer(out) if out else None
        if self.writer:
            self.writer.writerow(["行号", "列", "原因", *headers])

    def write(self, errors: list[RowError], row: dict[str, Any]) -> None:
        if not self.writer:
            return
        cells = [_safe_cell(row.get(h)) for h in self.headers]
        for error in errors:
            self.writer.writerow([error.row, error.column, error.message, *cells])


def _safe_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas when the report is opened in Excel (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def import_file(path: Path, database: Database, pii: PiiCipher, catalogue: Catalogue,
                options: ImportOptions | None = None) -> ImportSummary:
    """Import one export file; raises ImportRefused before writing anything if the file is unusable."""
    source = open_source(path)
    return import_source(source, path.name, _sha256(path), database, pii, catalogue, options)


def import_source(source: Source, name: str, digest: str, database: Database, pii: PiiCipher,
                  catalogue: Catalogue, options: ImportOptions | None = None) -> ImportSummary:
    """Import rows from an opened source (a file, or generated demo data)."""
    opts = options or ImportOptions()
    summary = ImportSummary(warnings=_check_columns(source, opts))
    if opts.on_total:
        opts.on_total(source.total)
    run_id = None if opts.dry_run else _start_run(database, name, digest)
    summary.run_id = run_id
    writer = BatchWriter(pii, PhotoStore(pii, opts.photos_dir), dry_run=opts.dry_run)
    report = ReportWriter(opts.report, source.headers)
    try:
        for batch, rows in _batches(source, catalogue, pii, summary, report, opts.batch_size, opts.workers):
            with database.session() as session:
                writer.write(session, batch, summary, report)
                if opts.dry_run:
                    session.rollback()
                else:
                    _progress_run(session, run_id, summary)
            if opts.on_progress:
                opts.on_progress(rows)
    except BaseException:
        _finish_run(database, run_id, summary, "failed")
        raise
    _finish_run(database, run_id, summary, "finished")
    return summary


def _check_columns(source: Source, opts: ImportOptions) -> list[str]:
    report = check_headers(source.headers)
    if report.missing:
        raise ImportRefused("缺少必需的列：" + "、".join(report.missing) + "（未导入任何数据）")
    if report.duplicates:
        raise ImportRefused("表头重复：" + "、".join(report.duplicates) + "（未导入任何数据）")
    warnings = []
    if report.unknown:
        warnings.append("已忽略无法识别的列：" + "、".join(report.unknown))
    if "照片" in source.headers and opts.photos_dir is None:
        warnings.append("未指定 --photos 照片目录，照片列被忽略")
    return warnings


@dataclass(frozen=True)
class Entry:
    """An accepted row: its number, raw cells (for the report), record and its keys, computed once."""

    number: int
    row: dict[str, Any]
    record: CertificateRecord
    id_hash: str
    cert_hash: str
    fingerprint: str


def _batches(source: Source, catalogue: Catalogue, pii: PiiCipher, summary: ImportSummary,
             report: ReportWriter, size: int, workers: int) -> Iterable[tuple[list[Entry], int]]:
    """Validate rows and group accepted ones; duplicates inside the file are caught here."""
    seen: dict[int, tuple[int, int]] = {}
    batch: list[Entry] = []
    rows = 0
    for number, row, result in _validated(source, catalogue, workers):
        summary.rows += 1
        rows += 1
        if isinstance(result, CertificateRecord):
            entry = Entry(number, row, result, id_lookup_hash(pii, result.id_number),
                          cert_lookup_hash(pii, result.cert_no), record_fingerprint(result))
            duplicate = _check_duplicate(entry, seen)
            if duplicate is None:
                batch.append(entry)
            else:
                result = [duplicate]
        if isinstance(result, list):
            summary.rejected += 1
            report.write(result, row)
        if rows >= size:
            yield batch, rows
            batch, rows = [], 0
    if rows:
        yield batch, rows


Validated = tuple[int, dict[str, Any], CertificateRecord | list[RowError]]
_CHUNK = 500
_IN_FLIGHT = 8


def _validated(source: Source, catalogue: Catalogue, workers: int) -> Iterator[Validated]:
    """Validation inline, or in worker processes while this one writes to the database."""
    if workers <= 0:
        for number, row in source.rows:
            yield number, row, _validate(number, row, catalogue)
        return
    kept: collections.deque[list[tuple[int, dict[str, Any]]]] = collections.deque()
    in_flight = threading.BoundedSemaphore(_IN_FLIGHT)  # back-pressure: memory stays flat

    stopped = threading.Event()

    def feed() -> Iterator[list[tuple[int, dict[str, Any]]]]:
        for chunk in _chunked(source.rows):
            in_flight.acquire()
            if stopped.is_set():
                return
            kept.append(chunk)
            yield chunk

    # fork: workers inherit the loaded code; imap returns results in file order.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        try:
            for results in pool.imap(_validate_chunk, feed()):
                chunk = kept.popleft()
                in_flight.release()
                for (number, row), result in zip(chunk, results, strict=True):
                    yield number, row, result
        finally:
            stopped.set()  # unblock the feeding thread so the pool can shut down
            with contextlib.suppress(ValueError):
                for _ in range(_IN_FLIGHT):
                    in_flight.release()


def _chunked(rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _validate_chunk(chunk: list[tuple[int, dict[str, Any]]]) -> list[CertificateRecord | list[RowError]]:
    catalogue = _worker_catalogue()
    return [_validate(number, row, catalogue) for number, row in chunk]


@functools.lru_cache(maxsize=1)
def _worker_catalogue() -> Catalogue:
    return Catalogue.load_default()


def _validate(number: int, row: dict[str, Any], catalogue: Catalogue) -> CertificateRecord | list[RowError]:
    if EXTRA_CELLS in row:
        return [RowError(number, "", f"该行比表头多出{row[EXTRA_CELLS]}个单元格，请检查是否错位")]
    return validate_row(number, row, catalogue)


def _check_duplicate(entry: Entry, seen: dict[int, tuple[int, int]]) -> RowError | None:
    """The same certificate twice in one file: exact repeats and conflicts are both reported."""
    # Compact keys (8-byte ints) keep memory flat enough for million-row files.
    key, print_ = int(entry.cert_hash[:16], 16), int(entry.fingerprint[:16], 16)
    first = seen.get(key)
    if first is None:
        seen[key] = (entry.number, print_)
        return None
    if first[1] == print_:
        return RowError(entry.number, "证书编号", f"与第{first[0]}行完全重复，已按第{first[0]}行导入")
    return RowError(entry.number, "证书编号", f"证书编号与第{first[0]}行相同但内容不同，请核对后单独导入")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _start_run(database: Database, name: str, digest: str) -> int:
    with database.session() as session:
        run = ImportRun(file_name=name[:255], file_sha256=digest)
        session.add(run)
        session.flush()
        return run.id


def _progress_run(session: Session, run_id: int | None, s: ImportSummary) -> None:
    if run_id is None:
        return
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
        rows_done=s.rows, accepted=s.accepted, updated=s.updated, unchanged=s.unchanged, rejected=s.rejected))


def _finish_run(database: Database, run_id: int | None, s: ImportSummary, status: str) -> None:
    if run_id is None:
        return
    with database.session() as session:
        _progress_run(session, run_id, s)
        session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
            status=status, finished_at=utcnow()))


class BatchWriter:
    """Writes one validated batch: people, certificates, reviews, with few round trips."""

    def __init__(self, pii: PiiCipher, photos: PhotoStore, dry_run: bool) -> None:
        self.pii = pii
        self.photos = photos
        self.dry_run = dry_run

    def write(self, session: Session, entries: list[Entry], summary: ImportSummary,
              report: ReportWriter) -> None:
        """Upsert the batch and count each outcome; per-row problems go to the report."""
        if not entries:
            return
        people = self._people(session, entries)
        current = self._current_certs(session, entries)
        new_rows: list[tuple[Entry, int | None, int]] = []
        for entry in entries:
            try:
                photo_id = self.photos.store(session, entry.record.photo) if entry.record.photo else None
            except PhotoError as exc:
                summary.rejected += 1
                report.write([RowError(entry.number, "照片", exc.message)], entry.row)
                continue
            outcome = self._apply(session, entry, current.get(entry.cert_hash), people, photo_id, new_rows)
            if isinstance(outcome, RowError):
                summary.rejected += 1
                report.write([RowError(entry.number, outcome.column, outcome.message)], entry.row)
            else:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
                summary.updated += outcome == "reissued"
        self._insert_certificates(session, new_rows, people)

    def _people(self, session: Session, entries: list[Entry]) -> dict[str, int]:
        """Person ids by ID hash; new holders are inserted, changed names or genders updated."""
        wanted = {e.id_hash: e.record for e in entries}
        table = Person.__table__
        rows = session.execute(select(table.c.id, table.c.id_hash, table.c.name, table.c.gender)
                               .where(table.c.id_hash.in_(wanted))).all()
        found = {row.id_hash: row.id for row in rows}
        for row in rows:
            record = wanted[row.id_hash]
            if (row.name, row.gender) != (record.name, record.gender):
                session.execute(update(Person).where(Person.id == row.id).values(
                    name=record.name, gender=record.gender, updated_at=utcnow()))
        fresh = [self._person_values(key, record) for key, record in wanted.items() if key not in found]
        if fresh:
            session.execute(table.insert(), fresh)
            found.update(session.execute(select(table.c.id_hash, table.c.id).where(
                table.c.id_hash.in_([f["id_hash"] for f in fresh]))).tuples().all())
        return found

    def _person_values(self, key: str, record: CertificateRecord) -> dict[str, Any]:
        now = utcnow()
        return {"id_type": record.id_type, "id_hash": key, "name": record.name, "gender": record.gender,
                "id_number_enc": self.pii.encrypt(record.id_number, b"people.id_number"),
                "id_masked": mask_middle(record.id_number), "created_at": now, "updated_at": now}

    def _current_certs(self, session: Session, entries: list[Entry]) -> dict[str, Any]:
        """Light rows (not ORM objects) of the current versions already stored."""
        table = Certificate.__table__
        query = select(table.c.id, table.c.cert_no_hash, table.c.fingerprint, table.c.valid_from,
                       table.c.version, table.c.person_id, table.c.photo_id).where(
            table.c.cert_no_hash.in_([e.cert_hash for e in entries]), table.c.is_current.is_(True))
        return {row.cert_no_hash: row for row in session.execute(query)}

    def _apply(self, session: Session, entry: Entry, existing: Any, people: dict[str, int],
               photo_id: int | None, new_rows: list[tuple[Entry, int | None, int]]) -> str | RowError:
        """Decide new / unchanged / updated / reissued for one record."""
        record = entry.record
        if existing is None:
            new_rows.append((entry, photo_id, 1))
            return "accepted"
        if existing.person_id != people[entry.id_hash]:
            return RowError(0, "证书编号", "证书编号已属于另一持证人，未导入；请核对证件号码")
        if existing.fingerprint == entry.fingerprint:
            return "unchanged"
        if record.valid_from < existing.valid_from:
            return RowError(0, "有效期开始日期", f"早于系统中的当前版本（第{existing.version}版），未导入")
        if record.valid_from > existing.valid_from:
            # A later validity period is a reissue (换证/复审换发): a new version supersedes the old one.
            session.execute(update(Certificate).where(Certificate.id == existing.id).values(is_current=False))
            new_rows.append((entry, photo_id or existing.photo_id, existing.version + 1))
            return "reissued"
        cert = session.get(Certificate, existing.id)
        assert cert is not None
        self._update_in_place(session, cert, entry, photo_id)
        return "updated"

    def _update_in_place(self, session: Session, cert: Certificate, entry: Entry, photo_id: int | None) -> None:
        previous = {f: _jsonable(getattr(cert, f)) for f in _SNAPSHOT_FIELDS}
        session.add(CertificateChange(certificate_id=cert.id, previous=json.dumps(previous, ensure_ascii=False),
                                      source="import"))
        for name, value in _cert_values(entry.record).items():
            setattr(cert, name, value)
        cert.photo_id = photo_id or cert.photo_id
        cert.fingerprint = entry.fingerprint
        if entry.record.review_due_date:
            _upsert_review(session, cert, entry.record)

    def _insert_certificates(self, session: Session, rows: list[tuple[Entry, int | None, int]],
                             people: dict[str, int]) -> None:
        if not rows:
            return
        now = utcnow()
        values = [{
            **_cert_values(entry.record),
            "public_id": secrets.token_urlsafe(12),
            "cert_no_hash": entry.cert_hash,
            "cert_no_enc": self.pii.encrypt(entry.record.cert_no, b"certificates.cert_no"),
            "cert_no_masked": mask_middle(entry.record.cert_no),
            "version": version, "is_current": True, "person_id": people[entry.id_hash],
            "photo_id": photo_id, "fingerprint": entry.fingerprint, "created_at": now, "updated_at": now,
        } for entry, photo_id, version in rows]
        session.execute(Certificate.__table__.insert(), values)
        self._insert_reviews(session, [e for e, _, _ in rows if e.record.review_due_date])

    def _insert_reviews(self, session: Session, entries: list[Entry]) -> None:
        if not entries:
            return
        by_hash = {e.cert_hash: e.record for e in entries}
        table = Certificate.__table__
        ids = session.execute(select(table.c.id, table.c.cert_no_hash).where(
            table.c.cert_no_hash.in_(by_hash), table.c.is_current.is_(True))).all()
        session.execute(RenewalReview.__table__.insert(), [
            {"certificate_id": cid, "due_date": by_hash[h].review_due_date, "done_date": by_hash[h].review_done_date}
            for cid, h in ids
        ])


def _cert_values(record: CertificateRecord) -> dict[str, Any]:
    return {
        "kind": record.kind, "category_code": record.category_code, "item_code": record.item_code,
        "personnel_type_code": record.personnel_type_code, "industry_code": record.industry_code,
        "employer": record.employer, "first_issue_date": record.first_issue_date,
        "valid_from": record.valid_from, "valid_until": record.valid_until,
        "exam_passed_date": record.exam_passed_date, "issuing_authority": record.issuing_authority,
        "authority_code": record.authority_code,
    }


def _upsert_review(session: Session, cert: Certificate, record: CertificateRecord) -> None:
    for review in cert.reviews:
        if review.due_date == record.review_due_date:
            review.done_date = record.review_done_date
            return
    session.add(RenewalReview(certificate_id=cert.id, due_date=record.review_due_date,
                              done_date=record.review_done_date))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def required_columns() -> tuple[str, ...]:
    """The columns a file must have (for help texts)."""
    return REQUIRED_COLUMNS
