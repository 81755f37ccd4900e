"""Writing one batch of prepared import rows: people, certificates and reviews in few round trips.

New rows and key lookups go through app.storage.bulk (driver-level statements, thousands of
rows each); updates and corrections, which are rare, go through the ORM.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from app.domain.importrows import CertificateRecord, RowError
from app.services.importpipeline import CERT_ROW, PERSON_ROW, Prepared
from app.services.photos import PhotoError, PhotoStore
from app.storage.bulk import BulkSql, Values, concat, literal, render
from app.storage.models import Certificate, CertificateChange, Person, RenewalReview
from app.storage.models._common import utcnow

SNAPSHOT_FIELDS = (
    "category_code", "item_code", "personnel_type_code", "industry_code", "employer", "first_issue_date",
    "valid_from", "valid_until", "exam_passed_date", "issuing_authority", "authority_code", "photo_id",
)
_CERT_COLUMNS = ("public_id", "version", "is_current", "person_id", "photo_id", "import_run_id", "import_row",
                 "created_at", "updated_at", *CERT_ROW)
_PERSON_COLUMNS = (*PERSON_ROW, "created_at", "updated_at")


class Entry(NamedTuple):
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


# RFC 4648 base32hex in lower case: sorts the same byte-wise (SQLite) and case-insensitively (MySQL).
_SORTABLE = "0123456789abcdefghijklmnopqrstuv"


def public_ids(count: int, now: float | None = None) -> list[str]:
    """`count` opaque identifiers: 7 characters of time, then 16 random URL-safe characters (96 bits).

    The time prefix (tenths of a second since 1970, base32hex, good until 2078) makes each batch's
    ids sort after the previous batch's, so the unique index on public_id grows at its right
    edge instead of touching a random page for every new certificate (at 1,000,000 certificates
    that index alone is about 50 MB). It tells nobody more than when a version was imported.
    """
    tick = int((time.time() if now is None else now) * 10)
    prefix = "".join([_SORTABLE[(tick >> shift) & 31] for shift in range(30, -1, -5)])
    blob = base64.urlsafe_b64encode(secrets.token_bytes(12 * count)).decode()
    return [prefix + blob[i:i + 16] for i in range(0, 16 * count, 16)]


class _Current(NamedTuple):
    """The stored current version of a certificate, as the upsert decision needs it."""

    id: int
    cert_no_hash: bytes
    fingerprint: str
    valid_from: date
    version: int
    person_id: int
    photo_id: int | None
    import_run_id: int | None
    import_row: int | None


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
        bulk = BulkSql(session)
        people = self._people(bulk, entries)
        current = self._current_certs(bulk, entries)
        new_rows: list[tuple[Entry, int | None, int]] = []
        for entry in entries:
            try:
                photo_id = self.photos.store(session, entry.prepared.photo) if entry.prepared.photo else None
            except PhotoError as exc:
                outcome.refused.append((entry, RowError(entry.number, "照片", exc.message)))
                continue
            result = self._apply(session, entry, current.get(entry.prepared.cert_key), people, photo_id, new_rows)
            if isinstance(result, RowError):
                outcome.refused.append((entry, result))
            else:
                setattr(outcome, result, getattr(outcome, result) + 1)
        self._insert_certificates(bulk, new_rows, people)
        return outcome

    def _people(self, bulk: BulkSql, entries: list[Entry]) -> dict[bytes, int]:
        """Person ids by ID key; new holders are inserted, changed names or genders updated."""
        wanted = {e.prepared.id_key: e.prepared for e in entries}
        table: Table = Person.__table__  # type: ignore[assignment]
        rows = bulk.select_in(table, ("id", "id_hash", "name", "gender"), "id_hash", list(wanted))
        found = {id_key: id_ for id_, id_key, _, _ in rows}
        for id_, id_key, name, gender in rows:
            record = wanted[id_key].record
            if (name, gender) != (record.name, record.gender):
                bulk.session.execute(update(Person).where(Person.id == id_).values(
                    name=record.name, gender=record.gender, updated_at=utcnow()))
        now = utcnow().isoformat(sep=" ")
        new = [key for key in wanted if key not in found]
        if new:
            # Rendered once (MySQL text), not for every row.
            stamps: Values = render((now, now)) if isinstance(wanted[new[0]].person_values, str) else (now, now)
            ids = bulk.insert(table, _PERSON_COLUMNS, [concat(wanted[key].person_values, stamps) for key in new],
                              returning=("id_hash", "id"))
            found.update(ids if ids is not None else bulk.select_in(table, ("id_hash", "id"), "id_hash", new))
        return found

    def _current_certs(self, bulk: BulkSql, entries: list[Entry]) -> dict[bytes, _Current]:
        """Light rows (not ORM objects) of the current versions already stored."""
        rows = bulk.select_in(Certificate.__table__, _Current._fields, "cert_no_hash",  # type: ignore[arg-type]
                              [e.prepared.cert_key for e in entries], current_only=True)
        current = [_Current(*row) for row in rows]
        return {c.cert_no_hash: c if isinstance(c.valid_from, date)  # SQLite gives dates as ISO text
                else c._replace(valid_from=date.fromisoformat(c.valid_from)) for c in current}

    def _apply(self, session: Session, entry: Entry, existing: _Current | None, people: dict[bytes, int],
               photo_id: int | None, new_rows: list[tuple[Entry, int | None, int]]) -> str | RowError:
        """Decide accepted / unchanged / updated / reissued for one record."""
        prepared, number = entry.prepared, entry.number
        if existing is None:
            new_rows.append((entry, photo_id, 1))
            return "accepted"
        if self.run_id is not None and existing.import_run_id == self.run_id:
            return duplicate_error(number, existing.import_row, existing.fingerprint == prepared.fingerprint)
        if existing.person_id != people[prepared.id_key]:
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

    def _insert_certificates(self, bulk: BulkSql, rows: list[tuple[Entry, int | None, int]],
                             people: dict[bytes, int]) -> None:
        if not rows:
            return
        now = utcnow().isoformat(sep=" ")
        run = self.run_id
        public = public_ids(len(rows))
        if isinstance(rows[0][0].prepared.cert_values, str):
            # Rendered rows (MySQL): the values before them are ints, NULL, our generated ids and one
            # timestamp, rendered here directly rather than through bulk.render for every row.
            run_sql, now_sql = literal(run), literal(now)
            values: list[Values] = [
                f"'{public_id}',{version},1,{people[entry.prepared.id_key]},{literal(photo_id)},{run_sql},"
                f"{entry.number},{now_sql},{now_sql},{entry.prepared.cert_values}"
                for (entry, photo_id, version), public_id in zip(rows, public, strict=True)]
        else:
            values = [concat((public_id, version, 1, people[entry.prepared.id_key], photo_id, run, entry.number, now,
                              now), entry.prepared.cert_values)
                      for (entry, photo_id, version), public_id in zip(rows, public, strict=True)]
        table: Table = Certificate.__table__  # type: ignore[assignment]
        ids = bulk.insert(table, _CERT_COLUMNS, values, returning=("id", "cert_no_hash"))
        reviewed = {e.prepared.cert_key: e.prepared.review for e, _, _ in rows if e.prepared.review}
        if not reviewed:
            return
        if ids is None:
            ids = bulk.select_in(table, ("id", "cert_no_hash"), "cert_no_hash", list(reviewed), current_only=True)
        bulk.insert(RenewalReview.__table__, ("certificate_id", "due_date", "done_date"),  # type: ignore[arg-type]
                    [(cid, *reviewed[h]) for cid, h in ids if h in reviewed])


def duplicate_error(number: int, first_row: int | None, same: bool) -> RowError:
    """A certificate the file already contained earlier (row `first_row`)."""
    if same:
        return RowError(number, "证书编号", f"与第{first_row}行完全重复，已按第{first_row}行导入")
    return RowError(number, "证书编号", f"证书编号与第{first_row}行相同但内容不同，请核对后单独导入")


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
