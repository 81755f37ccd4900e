"""Bulk import: validate every row, upsert accepted ones idempotently in committed batches.

Each batch is one transaction, so an interrupted run leaves whole batches behind and a
re-run of the same file skips what is already there (unchanged rows are detected by a
fingerprint). A changed row updates the certificate and keeps the previous values; a row
with a later validity start is a reissue and becomes a new version.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
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
        for batch, rows in _batches(source, catalogue, summary, report, opts.batch_size):
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


# A batch entry: the row number, the raw cells (for the report) and the validated record.
Entry = tuple[int, dict[str, Any], CertificateRecord]


def _batches(source: Source, catalogue: Catalogue, summary: ImportSummary, report: ReportWriter,
             size: int) -> Iterable[tuple[list[Entry], int]]:
    """Validate rows and group accepted ones; duplicates inside the file are caught here."""
    seen: dict[int, tuple[int, str]] = {}
    batch: list[Entry] = []
    rows = 0
    for number, row in source.rows:
        summary.rows += 1
        rows += 1
        result = _validate(number, row, catalogue)
        if isinstance(result, CertificateRecord):
            result = _check_duplicate(number, result, seen)
        if isinstance(result, list):
            summary.rejected += 1
            report.write(result, row)
        else:
            batch.append((number, row, result))
        if rows >= size:
            yield batch, rows
            batch, rows = [], 0
    if rows:
        yield batch, rows


def _validate(number: int, row: dict[str, Any], catalogue: Catalogue) -> CertificateRecord | list[RowError]:
    if EXTRA_CELLS in row:
        return [RowError(number, "", f"该行比表头多出{row[EXTRA_CELLS]}个单元格，请检查是否错位")]
    return validate_row(number, row, catalogue)


def _check_duplicate(number: int, record: CertificateRecord, seen: dict[int, tuple[int, str]],
                     ) -> CertificateRecord | list[RowError]:
    key = int.from_bytes(hashlib.blake2b(record.cert_no.encode(), digest_size=8).digest(), "big")
    fingerprint = record_fingerprint(record)
    first = seen.get(key)
    if first is None:
        seen[key] = (number, fingerprint[:16])
        return record
    if first[1] == fingerprint[:16]:
        return [RowError(number, "证书编号", f"与第{first[0]}行完全重复，已按第{first[0]}行导入")]
    return [RowError(number, "证书编号", f"证书编号与第{first[0]}行相同但内容不同，请核对后单独导入")]


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

    def write(self, session: Session, records: list[Entry], summary: ImportSummary,
              report: ReportWriter) -> None:
        if not records:
            return
        people = self._people(session, [r for _, _, r in records])
        current = self._current_certs(session, [r for _, _, r in records])
        new_rows: list[tuple[CertificateRecord, int | None, int]] = []
        for number, row, record in records:
            try:
                photo_id = self.photos.store(session, record.photo) if record.photo else None
            except PhotoError as exc:
                summary.rejected += 1
                report.write([RowError(number, "照片", exc.message)], row)
                continue
            existing = current.get(cert_lookup_hash(self.pii, record.cert_no))
            outcome = self._apply(session, record, existing, people, photo_id, new_rows)
            if isinstance(outcome, RowError):
                summary.rejected += 1
                report.write([RowError(number, outcome.column, outcome.message)], row)
            else:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
                if outcome == "reissued":
                    summary.updated += 1
        self._insert_certificates(session, new_rows)

    def _people(self, session: Session, records: list[CertificateRecord]) -> dict[str, Person]:
        """Existing holders by ID hash; new ones are inserted, changed names updated."""
        hashes = {id_lookup_hash(self.pii, r.id_number): r for r in records}
        found = {p.id_hash: p for p in session.scalars(select(Person).where(Person.id_hash.in_(hashes)))}
        fresh = []
        for key, record in hashes.items():
            person = found.get(key)
            if person is None:
                fresh.append({
                    "id_type": record.id_type, "id_hash": key, "name": record.name, "gender": record.gender,
                    "id_number_enc": self.pii.encrypt(record.id_number, b"people.id_number"),
                    "id_masked": mask_middle(record.id_number), "created_at": utcnow(), "updated_at": utcnow(),
                })
            elif (person.name, person.gender) != (record.name, record.gender):
                person.name, person.gender = record.name, record.gender
        if fresh:
            session.execute(Person.__table__.insert(), fresh)
            found.update({p.id_hash: p for p in session.scalars(
                select(Person).where(Person.id_hash.in_([f["id_hash"] for f in fresh])))})
        return found

    def _current_certs(self, session: Session, records: list[CertificateRecord]) -> dict[str, Certificate]:
        hashes = [cert_lookup_hash(self.pii, r.cert_no) for r in records]
        query = select(Certificate).where(Certificate.cert_no_hash.in_(hashes), Certificate.is_current.is_(True))
        return {c.cert_no_hash: c for c in session.scalars(query)}

    def _apply(self, session: Session, record: CertificateRecord, existing: Certificate | None,
               people: dict[str, Person], photo_id: int | None,
               new_rows: list[tuple[CertificateRecord, int | None, int]]) -> str | RowError:
        """Decide new / unchanged / updated / reissued for one record."""
        person = people[id_lookup_hash(self.pii, record.id_number)]
        if existing is None:
            new_rows.append((record, photo_id, 1))
            return "accepted"
        if existing.person_id != person.id:
            return RowError(0, "证书编号", "证书编号已属于另一持证人，未导入；请核对证件号码")
        fingerprint = record_fingerprint(record)
        if existing.fingerprint == fingerprint:
            return "unchanged"
        if record.valid_from < existing.valid_from:
            return RowError(0, "有效期开始日期", f"早于系统中的当前版本（第{existing.version}版），未导入")
        if record.valid_from > existing.valid_from:
            # A later validity period is a reissue (换证/复审换发): a new version supersedes the old one.
            existing.is_current = False
            session.flush()
            new_rows.append((record, photo_id or existing.photo_id, existing.version + 1))
            return "reissued"
        self._update_in_place(session, existing, record, photo_id, fingerprint)
        return "updated"

    def _update_in_place(self, session: Session, cert: Certificate, record: CertificateRecord,
                         photo_id: int | None, fingerprint: str) -> None:
        previous = {f: _jsonable(getattr(cert, f)) for f in _SNAPSHOT_FIELDS}
        session.add(CertificateChange(certificate_id=cert.id, previous=json.dumps(previous, ensure_ascii=False),
                                      source="import"))
        for name, value in _cert_values(record).items():
            setattr(cert, name, value)
        cert.photo_id = photo_id or cert.photo_id
        cert.fingerprint = fingerprint
        if record.review_due_date:
            _upsert_review(session, cert, record)

    def _insert_certificates(self, session: Session,
                             rows: list[tuple[CertificateRecord, int | None, int]]) -> None:
        if not rows:
            return
        people = {p.id_hash: p.id for p in session.scalars(select(Person).where(
            Person.id_hash.in_({id_lookup_hash(self.pii, r.id_number) for r, _, _ in rows})))}
        values = []
        for record, photo_id, version in rows:
            values.append({
                **_cert_values(record),
                "public_id": secrets.token_urlsafe(12),
                "cert_no_hash": cert_lookup_hash(self.pii, record.cert_no),
                "cert_no_enc": self.pii.encrypt(record.cert_no, b"certificates.cert_no"),
                "cert_no_masked": mask_middle(record.cert_no),
                "version": version, "is_current": True,
                "person_id": people[id_lookup_hash(self.pii, record.id_number)],
                "photo_id": photo_id, "fingerprint": record_fingerprint(record),
                "created_at": utcnow(), "updated_at": utcnow(),
            })
        session.execute(Certificate.__table__.insert(), values)
        self._insert_reviews(session, [r for r, _, _ in rows if r.review_due_date])

    def _insert_reviews(self, session: Session, records: list[CertificateRecord]) -> None:
        if not records:
            return
        by_hash = {cert_lookup_hash(self.pii, r.cert_no): r for r in records}
        ids = session.execute(select(Certificate.id, Certificate.cert_no_hash).where(
            Certificate.cert_no_hash.in_(by_hash), Certificate.is_current.is_(True))).all()
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
