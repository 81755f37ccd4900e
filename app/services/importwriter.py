"""Writing one batch of prepared import rows: people, certificates and reviews in few round trips.

Each row's fate is `app.domain.importdecision.decide`: the same pure rule for the real run and the
dry run. A batch is first *planned* (read-only: who exists, which certificates are current, photos
checked) and then, unless it is a dry run, *applied*. New rows and key lookups go through
app.storage.bulk (driver-level statements, thousands of rows each); updates and corrections, which
are rare, go through the ORM.
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

from app.domain.importdecision import Action, Decision, Incoming, Seen, Stored, decide
from app.domain.importrows import CertificateRecord, RowError
from app.services.importpipeline import CERT_ROW, PERSON_ROW, RECORD_COLUMNS, Prepared, record_values
from app.services.photos import PhotoError, PhotoStore
from app.storage.bulk import BulkSql, Values, concat, render
from app.storage.models import Certificate, CertificateChange, Person, RenewalReview
from app.storage.models._common import utcnow

# What the writer adds in front of CERT_ROW; a correction's history keeps every column it can change.
WRITER_COLUMNS = ("public_id", "version", "is_current", "person_id", "photo_id", "import_run_id", "import_row",
                  "created_at", "updated_at")
SNAPSHOT_FIELDS = (*RECORD_COLUMNS, "photo_id")
_PERSON_COLUMNS = (*PERSON_ROW, "created_at", "updated_at")
_CERT_COLUMNS = (*WRITER_COLUMNS, *CERT_ROW)


class Entry(NamedTuple):
    """An accepted row: its number, raw cells (for the report), the prepared record, and the first
    row of this run for the same certificate, if there was one."""

    number: int
    row: dict[str, Any]
    prepared: Prepared
    seen: Seen | None = None


@dataclass
class Outcome:
    """Counts of one batch, plus the rows refused (repeats, conflicts, photo problems, older rows)."""

    accepted: int = 0
    updated: int = 0
    reissued: int = 0
    unchanged: int = 0
    refused: list[tuple[Entry, RowError]] = field(default_factory=list)

    def count(self, action: Action) -> None:
        name = {Action.NEW: "accepted", Action.UPDATED: "updated", Action.REISSUED: "reissued",
                Action.UNCHANGED: "unchanged"}[action]
        setattr(self, name, getattr(self, name) + 1)


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
    """The stored current version of a certificate, as the decision and the writer need it."""

    id: int
    person_id: int
    identity: str
    fingerprint: str
    valid_from: date
    version: int
    photo_id: int | None
    admin_state: str | None
    admin_reason: str | None
    suspended_until: date | None


@dataclass(frozen=True)
class Planned:
    """One entry's decision, with what applying it needs."""

    entry: Entry
    decision: Decision
    existing: _Current | None = None
    photo_id: int | None = None


class BatchWriter:
    """Plans each batch (read-only) and applies the plan (unless it is a dry run)."""

    def __init__(self, photos: PhotoStore, run_id: int | None, dry_run: bool = False) -> None:
        self.photos = photos
        self.run_id = run_id
        self.dry_run = dry_run

    def write(self, session: Session, entries: list[Entry]) -> Outcome:
        """Decide every entry, then write what the decisions ask (nothing in a dry run)."""
        outcome = Outcome()
        if not entries:
            return outcome
        bulk = BulkSql(session)
        people = self._existing_people(bulk, entries)
        current = self._current_certs(bulk, entries, people)
        plan = [self._plan(session, entry, people, current) for entry in entries]
        for item in plan:
            if item.decision.action == Action.REJECTED:
                error = RowError(item.entry.number, item.decision.column, item.decision.reason)
                outcome.refused.append((item.entry, error))
            else:
                outcome.count(item.decision.action)
        if not self.dry_run:
            self._apply(bulk, [item for item in plan if item.decision.action != Action.REJECTED], people)
        return outcome

    def _plan(self, session: Session, entry: Entry, people: dict[bytes, tuple[int, str, str]],
              current: dict[tuple[int, str], _Current]) -> Planned:
        """The decision for one entry; a photo that cannot be used rejects the row first."""
        prepared = entry.prepared
        photo_id = None
        if entry.seen is None and prepared.photo:
            try:
                photo_id = self.photos.resolve(session, prepared.photo, store=not self.dry_run)
            except PhotoError as exc:
                return Planned(entry, Decision(Action.REJECTED, "照片", exc.message))
        person = people.get(prepared.id_key)
        existing = current.get((person[0], prepared.identity)) if person else None
        stored = None
        incoming_from = date.min  # read from the record only when there is something to compare with
        if existing is not None:
            stored = Stored(existing.version, existing.valid_from, existing.fingerprint, existing.admin_state)
            incoming_from = prepared.record.valid_from
        decision = decide(stored, Incoming(entry.number, incoming_from, prepared.fingerprint), entry.seen)
        return Planned(entry, decision, existing, photo_id)

    def _existing_people(self, bulk: BulkSql, entries: list[Entry]) -> dict[bytes, tuple[int, str, str]]:
        """(id, name, gender) of the holders already stored, by ID key."""
        table: Table = Person.__table__  # type: ignore[assignment]
        keys = list({e.prepared.id_key for e in entries})
        rows = bulk.select_in(table, ("id_hash", "id", "name", "gender"), "id_hash", keys)
        return {id_key: (id_, name, gender) for id_key, id_, name, gender in rows}

    def _current_certs(self, bulk: BulkSql, entries: list[Entry], people: dict[bytes, tuple[int, str, str]],
                       ) -> dict[tuple[int, str], _Current]:
        """Current versions of the stored holders' certificates, by (person id, identity)."""
        wanted = list({people[e.prepared.id_key][0] for e in entries
                       if e.seen is None and e.prepared.id_key in people})
        rows = bulk.select_in(Certificate.__table__, _Current._fields, "person_id",  # type: ignore[arg-type]
                              wanted, current_only=True)
        found = (_Current(*row) for row in rows)
        return {(c.person_id, c.identity): c if isinstance(c.valid_from, date) else _dated(c) for c in found}

    # --- applying a plan --------------------------------------------------------------------------

    def _apply(self, bulk: BulkSql, plan: list[Planned], people: dict[bytes, tuple[int, str, str]]) -> None:
        """Write new holders, new and reissued versions, and corrections in place."""
        person_ids = self._people(bulk, [item.entry for item in plan], people)
        new_rows: list[tuple[Entry, int | None, int]] = []
        suspended: list[_Current] = []
        for item in plan:
            action, existing = item.decision.action, item.existing
            if action == Action.NEW:
                new_rows.append((item.entry, item.photo_id, 1))
            elif action == Action.REISSUED and existing is not None:
                bulk.session.execute(update(Certificate).where(Certificate.id == existing.id).values(is_current=False))
                new_rows.append((item.entry, item.photo_id or existing.photo_id, existing.version + 1))
                if existing.admin_state == "suspended":
                    suspended.append(existing)
            elif action == Action.UPDATED and existing is not None:
                self._correct(bulk.session, existing.id, item.entry, item.photo_id)
        self._insert_certificates(bulk, new_rows, person_ids)
        for old in suspended:  # a reissue does not lift a 暂扣: the new version carries it (rare)
            bulk.session.execute(update(Certificate).where(
                Certificate.person_id == old.person_id, Certificate.identity == old.identity,
                Certificate.is_current.is_(True)).values(admin_state=old.admin_state, admin_reason=old.admin_reason,
                                                         suspended_until=old.suspended_until))

    def _people(self, bulk: BulkSql, entries: list[Entry], known: dict[bytes, tuple[int, str, str]],
                ) -> dict[bytes, int]:
        """Person ids by ID key; new holders are inserted, changed names or genders updated."""
        wanted = {e.prepared.id_key: e.prepared for e in entries}
        found = {key: known[key][0] for key in wanted if key in known}
        for key, prepared in wanted.items():
            if key in known and known[key][1:] != (prepared.record.name, prepared.record.gender):
                bulk.session.execute(update(Person).where(Person.id == known[key][0]).values(
                    name=prepared.record.name, gender=prepared.record.gender, updated_at=utcnow()))
        new = [key for key in wanted if key not in found]
        if new:
            now = utcnow().isoformat(sep=" ")
            table: Table = Person.__table__  # type: ignore[assignment]
            stamps = _stamps((now, now), wanted[new[0]].person_values)
            ids = bulk.insert(table, _PERSON_COLUMNS, [concat(wanted[key].person_values, stamps) for key in new],
                              returning=("id_hash", "id"))
            found.update(ids if ids is not None else bulk.select_in(table, ("id_hash", "id"), "id_hash", new))
        return found

    def _insert_certificates(self, bulk: BulkSql, rows: list[tuple[Entry, int | None, int]],
                             people: dict[bytes, int]) -> None:
        if not rows:
            return
        now = utcnow().isoformat(sep=" ")
        public = public_ids(len(rows))
        values: list[Values] = [
            concat((public_id, version, 1, people[entry.prepared.id_key], photo_id, self.run_id, entry.number, now,
                    now), entry.prepared.cert_values)
            for (entry, photo_id, version), public_id in zip(rows, public, strict=True)]
        table: Table = Certificate.__table__  # type: ignore[assignment]
        ids = bulk.insert(table, _CERT_COLUMNS, values, returning=("id", "public_id"))
        reviewed = {public_id: entry.prepared.review for (entry, _, _), public_id in zip(rows, public, strict=True)
                    if entry.prepared.review}
        if not reviewed:
            return
        if ids is None:
            ids = bulk.select_in(table, ("id", "public_id"), "public_id", list(reviewed))
        bulk.insert(RenewalReview.__table__, ("certificate_id", "due_date", "done_date"),  # type: ignore[arg-type]
                    [(cid, *reviewed[p]) for cid, p in ids if p in reviewed])

    def _correct(self, session: Session, cert_id: int, entry: Entry, photo_id: int | None) -> None:
        """A correction in place: keep the previous values, then overwrite."""
        cert = session.get(Certificate, cert_id)
        assert cert is not None  # it was just read as current
        record = entry.prepared.record
        previous = {f: _jsonable(getattr(cert, f)) for f in SNAPSHOT_FIELDS}
        session.add(CertificateChange(certificate_id=cert.id, previous=json.dumps(previous, ensure_ascii=False),
                                      source="import"))
        for name, value in cert_values(record).items():
            setattr(cert, name, value)
        cert.photo_id = photo_id or cert.photo_id
        cert.fingerprint = entry.prepared.fingerprint
        cert.import_run_id, cert.import_row = self.run_id, entry.number
        if record.review_due_date:
            _upsert_review(session, cert, record)


def _dated(current: _Current) -> _Current:
    """SQLite gives dates as ISO text."""
    until = current.suspended_until
    return current._replace(valid_from=date.fromisoformat(str(current.valid_from)),
                            suspended_until=date.fromisoformat(str(until)) if until else None)


def _stamps(stamps: tuple[str, str], like: Values) -> Values:
    """The two timestamps in the form of the rows they join: rendered once when the rows are SQL text."""
    return render(stamps) if isinstance(like, str) else stamps


def cert_values(record: CertificateRecord) -> dict[str, Any]:
    """The certificate columns a record decides (RECORD_COLUMNS, as the ORM takes them)."""
    return dict(zip(RECORD_COLUMNS, record_values(record), strict=True))


def _upsert_review(session: Session, cert: Certificate, record: CertificateRecord) -> None:
    for review in cert.reviews:
        if review.due_date == record.review_due_date:
            review.done_date = record.review_done_date
            return
    session.add(RenewalReview(certificate_id=cert.id, due_date=record.review_due_date,
                              done_date=record.review_done_date))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
