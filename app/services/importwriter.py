"""Writing one batch of prepared import rows: people, certificates and reviews in few round trips.

New rows skip SQLAlchemy's per-parameter processing, which dominated import time. On SQLite they
go in with the driver's executemany (its binding is C). On MySQL/MariaDB pymysql would escape
every value through a chain of Python calls (a third of the writer's time at 1M rows), so the
multi-row INSERTs and the key IN-lists are rendered here: text that cannot leave a quoted
literal (hex hashes, ISO dates, codes, masked numbers) is quoted as is, bytes become X'hex', and
everything else goes through the driver's own escaping. Dates and times are passed as ISO
strings, the form both databases accept; booleans as 1/0.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, select, text, update
from sqlalchemy.orm import Session

from app.domain.idnumber import mask_middle
from app.domain.importrows import CertificateRecord, RowError
from app.services.importpipeline import Prepared
from app.services.photos import PhotoError, PhotoStore
from app.storage.models import Certificate, CertificateChange, Person, RenewalReview
from app.storage.models._common import utcnow

SNAPSHOT_FIELDS = (
    "category_code", "item_code", "personnel_type_code", "industry_code", "employer", "first_issue_date",
    "valid_from", "valid_until", "exam_passed_date", "issuing_authority", "authority_code", "photo_id",
)
_CERT_COLUMNS = (
    "public_id", "cert_no_hash", "cert_no_enc", "cert_no_masked", "version", "is_current", "person_id",
    "kind", "category_code", "item_code", "personnel_type_code", "industry_code", "employer",
    "first_issue_date", "valid_from", "valid_until", "exam_passed_date", "issuing_authority", "authority_code",
    "photo_id", "fingerprint", "import_run_id", "import_row", "created_at", "updated_at",
)
_PERSON_COLUMNS = ("id_type", "id_hash", "id_number_enc", "id_masked", "name", "gender", "created_at",
                   "updated_at")


@dataclass(frozen=True)
class Entry:
    """An accepted row: its number, raw cells (for the report) and the prepared record."""

    number: int
    row: dict[str, Any]
    prepared: Prepared


@dataclass
class Outcome:
    """Counts of one batch, plus the rows refused while writing (photo problems, conflicts)."""

    accepted: int = 0
    updated: int = 0
    reissued: int = 0
    unchanged: int = 0
    refused: list[tuple[Entry, RowError]] = field(default_factory=list)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# Text made only of these characters cannot end or escape a quoted SQL string in any SQL mode.
_INERT = re.compile(r"[\w:. *+-]*", re.ASCII).fullmatch
MAX_STATEMENT = 1 << 20  # bytes per INSERT (MariaDB's max_allowed_packet is 16 MB by default)


def _is_mysql(session: Session) -> bool:
    return session.get_bind().dialect.name in ("mysql", "mariadb")


def _literal(value: Any, escape: Any) -> str:
    """One SQL literal for MySQL; `escape` is the driver's (pymysql Connection.escape)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return f"'{value}'" if _INERT(value) else str(escape(value))
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, int):  # bool included: 1/0
        return str(int(value))
    return str(escape(value))


def _driver(session: Session) -> Any:
    """The DB-API connection under the session's transaction."""
    return session.connection().connection.dbapi_connection


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT many rows through the DB-API driver directly (values already in driver form)."""
    if not rows:
        return
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "  # noqa: S608 (names are ours)
    if not _is_mysql(session):
        session.connection().exec_driver_sql(head + f"({', '.join(['?'] * len(columns))})", rows)
        return
    driver = _driver(session)
    escape = driver.escape
    cursor = driver.cursor()
    try:
        chunk: list[str] = []
        size = len(head)
        for row in rows:
            values = "(" + ",".join([_literal(v, escape) for v in row]) + ")"
            if chunk and size + len(values) > MAX_STATEMENT:
                cursor.execute(head + ",".join(chunk))  # no args: the driver does no %-formatting
                chunk, size = [], len(head)
            chunk.append(values)
            size += len(values) + 1
        cursor.execute(head + ",".join(chunk))
    finally:
        cursor.close()


# Statements carrying an inline key list are unique: keep them out of SQLAlchemy's compiled cache.
ONE_OFF: dict[str, Any] = {"execution_options": {"compiled_cache": None}}


def key_in(session: Session, column: Column[Any], keys: Sequence[str]) -> ColumnElement[bool]:
    """`column IN (keys)`, rendered inline on MySQL (thousands of hash keys per batch)."""
    if not _is_mysql(session):
        return column.in_(keys)
    escape = _driver(session).escape
    listed = ",".join([_literal(key, escape) for key in keys]) or "NULL"
    return text(f"{column.table.name}.{column.name} IN ({listed})")  # type: ignore[attr-defined]


class BatchWriter:
    """Upserts one validated batch and counts each outcome."""

    def __init__(self, photos: PhotoStore, run_id: int | None) -> None:
        self.photos = photos
        self.run_id = run_id

    def write(self, session: Session, entries: list[Entry]) -> Outcome:
        """New / unchanged / updated / reissued for each entry; problems come back in `refused`."""
        outcome = Outcome()
        if not entries:
            return outcome
        people = self._people(session, entries)
        current = self._current_certs(session, entries)
        new_rows: list[tuple[Entry, int | None, int]] = []
        for entry in entries:
            try:
                photo_id = self.photos.store(session, entry.prepared.record.photo) \
                    if entry.prepared.record.photo else None
            except PhotoError as exc:
                outcome.refused.append((entry, RowError(entry.number, "照片", exc.message)))
                continue
            result = self._apply(session, entry, current.get(entry.prepared.cert_hash), people, photo_id, new_rows)
            if isinstance(result, RowError):
                outcome.refused.append((entry, result))
            else:
                setattr(outcome, result, getattr(outcome, result) + 1)
        self._insert_certificates(session, new_rows, people)
        return outcome

    def _people(self, session: Session, entries: list[Entry]) -> dict[str, int]:
        """Person ids by ID hash; new holders are inserted, changed names or genders updated."""
        wanted = {e.prepared.id_hash: e.prepared for e in entries}
        table = Person.__table__
        rows = session.execute(select(table.c.id, table.c.id_hash, table.c.name, table.c.gender)
                               .where(key_in(session, table.c.id_hash, list(wanted))), **ONE_OFF).all()
        found = {row.id_hash: row.id for row in rows}
        for row in rows:
            record = wanted[row.id_hash].record
            if (row.name, row.gender) != (record.name, record.gender):
                session.execute(update(Person).where(Person.id == row.id).values(
                    name=record.name, gender=record.gender, updated_at=utcnow()))
        now = utcnow().isoformat(sep=" ")
        fresh = [(p.record.id_type, key, p.id_number_enc, mask_middle(p.record.id_number), p.record.name,
                  p.record.gender, now, now) for key, p in wanted.items() if key not in found]
        if fresh:
            bulk_insert(session, table, _PERSON_COLUMNS, fresh)  # type: ignore[arg-type]
            found.update(session.execute(select(table.c.id_hash, table.c.id).where(
                key_in(session, table.c.id_hash, [f[1] for f in fresh])), **ONE_OFF).tuples().all())
        return found

    def _current_certs(self, session: Session, entries: list[Entry]) -> dict[str, Any]:
        """Light rows (not ORM objects) of the current versions already stored."""
        table = Certificate.__table__
        query = select(table.c.id, table.c.cert_no_hash, table.c.fingerprint, table.c.valid_from,
                       table.c.version, table.c.person_id, table.c.photo_id, table.c.import_run_id,
                       table.c.import_row).where(
            key_in(session, table.c.cert_no_hash, [e.prepared.cert_hash for e in entries]),
            table.c.is_current.is_(True))
        return {row.cert_no_hash: row for row in session.execute(query, **ONE_OFF)}

    def _apply(self, session: Session, entry: Entry, existing: Any, people: dict[str, int],
               photo_id: int | None, new_rows: list[tuple[Entry, int | None, int]]) -> str | RowError:
        """Decide accepted / unchanged / updated / reissued for one record."""
        prepared, number = entry.prepared, entry.number
        if existing is None:
            new_rows.append((entry, photo_id, 1))
            return "accepted"
        if self.run_id is not None and existing.import_run_id == self.run_id:
            return duplicate_error(number, existing.import_row, existing.fingerprint == prepared.fingerprint)
        if existing.person_id != people[prepared.id_hash]:
            return RowError(number, "证书编号", "证书编号已属于另一持证人，未导入；请核对证件号码")
        if existing.fingerprint == prepared.fingerprint:
            return "unchanged"
        if prepared.record.valid_from < existing.valid_from:
            return RowError(number, "有效期开始日期", f"早于系统中的当前版本（第{existing.version}版），未导入")
        if prepared.record.valid_from > existing.valid_from:
            # A later validity period is a reissue (换证/复审换发): a new version supersedes the old one.
            session.execute(update(Certificate).where(Certificate.id == existing.id).values(is_current=False))
            new_rows.append((entry, photo_id or existing.photo_id, existing.version + 1))
            return "reissued"
        cert = session.get(Certificate, existing.id)
        assert cert is not None
        _update_in_place(session, cert, prepared, photo_id)
        cert.import_run_id, cert.import_row = self.run_id, number
        return "updated"

    def _insert_certificates(self, session: Session, rows: list[tuple[Entry, int | None, int]],
                             people: dict[str, int]) -> None:
        now = utcnow().isoformat(sep=" ")
        values = []
        for entry, photo_id, version in rows:
            p, r = entry.prepared, entry.prepared.record
            values.append((
                secrets.token_urlsafe(12), p.cert_hash, p.cert_no_enc, mask_middle(r.cert_no), version, 1,
                people[p.id_hash], r.kind, r.category_code, r.item_code, r.personnel_type_code, r.industry_code,
                r.employer, r.first_issue_date.isoformat(), r.valid_from.isoformat(), r.valid_until.isoformat(),
                _iso(r.exam_passed_date), r.issuing_authority, r.authority_code, photo_id, p.fingerprint,
                self.run_id, entry.number, now, now,
            ))
        bulk_insert(session, Certificate.__table__, _CERT_COLUMNS, values)  # type: ignore[arg-type]
        _insert_reviews(session, [e.prepared for e, _, _ in rows if e.prepared.record.review_due_date])


def duplicate_error(number: int, first_row: int | None, same: bool) -> RowError:
    """A certificate the file already contained earlier (row `first_row`)."""
    if same:
        return RowError(number, "证书编号", f"与第{first_row}行完全重复，已按第{first_row}行导入")
    return RowError(number, "证书编号", f"证书编号与第{first_row}行相同但内容不同，请核对后单独导入")


def _insert_reviews(session: Session, prepared: list[Prepared]) -> None:
    if not prepared:
        return
    by_hash = {p.cert_hash: p.record for p in prepared}
    table = Certificate.__table__
    ids = session.execute(select(table.c.id, table.c.cert_no_hash).where(
        key_in(session, table.c.cert_no_hash, list(by_hash)), table.c.is_current.is_(True)), **ONE_OFF).all()
    bulk_insert(session, RenewalReview.__table__, ("certificate_id", "due_date", "done_date"),  # type: ignore[arg-type]
                [(cid, _iso(by_hash[h].review_due_date), _iso(by_hash[h].review_done_date)) for cid, h in ids])


def _update_in_place(session: Session, cert: Certificate, prepared: Prepared, photo_id: int | None) -> None:
    """A correction: keep the previous values, then overwrite."""
    previous = {f: _jsonable(getattr(cert, f)) for f in SNAPSHOT_FIELDS}
    session.add(CertificateChange(certificate_id=cert.id, previous=json.dumps(previous, ensure_ascii=False),
                                  source="import"))
    for name, value in cert_values(prepared.record).items():
        setattr(cert, name, value)
    cert.photo_id = photo_id or cert.photo_id
    cert.fingerprint = prepared.fingerprint
    if prepared.record.review_due_date:
        _upsert_review(session, cert, prepared.record)


def cert_values(record: CertificateRecord) -> dict[str, Any]:
    """The certificate columns taken from a record."""
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
