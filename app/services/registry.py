"""Finding certificates and deciding their status; every other feature goes through here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.domain.idnumber import normalize_id_number
from app.domain.names import normalize_name
from app.domain.pii import PiiCipher
from app.domain.status import CertificateFacts, RenewalReview, StatusResult, certificate_status
from app.domain.workdays import HolidayCalendar
from app.services.calendar import current_calendar
from app.storage.models import Certificate, Person
from app.storage.models import RenewalReview as ReviewRow


def id_lookup_key(pii: PiiCipher, id_number: str) -> bytes:
    """Blind index of a normalised ID number, as stored (16 bytes)."""
    return pii.blind_key("id", id_number)


def cert_lookup_key(pii: PiiCipher, cert_no: str) -> bytes:
    """Blind index of a certificate number, as stored (case-insensitive: 't' and 'T' are the same)."""
    return pii.blind_key("cert", cert_no.strip().upper())


def id_lookup_hash(pii: PiiCipher, id_number: str) -> str:
    """`id_lookup_key` as the ORM column takes it (hex)."""
    return id_lookup_key(pii, id_number).hex()


def cert_lookup_hash(pii: PiiCipher, cert_no: str) -> str:
    """`cert_lookup_key` as the ORM column takes it (hex)."""
    return cert_lookup_key(pii, cert_no).hex()


@dataclass(frozen=True, slots=True)
class StoredReview:
    """A 复审 as the status rules read it."""

    due_date: date
    done_date: date | None


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """The columns of a certificate version that replies, pages and the status rules read.

    The hot lookups (输入查询 and the verification page) build these from one Core query instead
    of ORM objects: half the time per lookup at 1,000,000 certificates. Attribute names match
    the Certificate model, so presenters and the status rules take either.
    """

    id: int
    public_id: str
    identity: str
    cert_no_masked: str | None
    version: int
    is_current: bool
    person_id: int
    kind: str
    category_code: str | None
    item_code: str | None
    personnel_type_code: str | None
    industry_code: str | None
    employer: str | None
    first_issue_date: date
    valid_from: date
    valid_until: date
    exam_passed_date: date | None
    issuing_authority: str
    authority_code: str
    admin_state: str | None
    admin_reason: str | None
    suspended_until: date | None
    photo_id: int | None
    reviews: tuple[StoredReview, ...] = ()


CertificateRow = Certificate | StoredCertificate  # what lookups return; presenters and files take either


@dataclass(frozen=True, slots=True)
class StoredHolder:
    """The holder's columns shown next to a certificate (masked ID number only)."""

    id: int
    name: str
    id_masked: str


@dataclass(frozen=True)
class Found:
    """A certificate with its holder and its status on the asked date."""

    certificate: Certificate | StoredCertificate
    person: Person | StoredHolder
    status: StatusResult


_CERT_FIELDS = tuple(f.name for f in fields(StoredCertificate) if f.name != "reviews")
_HOLDER_FIELDS = tuple(f.name for f in fields(StoredHolder))


def _stored(session: Session, *where: ColumnElement[bool]) -> list[tuple[StoredCertificate, StoredHolder]]:
    """Certificate versions with their holder and reviews in one round trip, newest validity first."""
    cert, person, review = Certificate.__table__.c, Person.__table__.c, ReviewRow.__table__.c
    query = (select(*(cert[n] for n in _CERT_FIELDS), *(person[n] for n in _HOLDER_FIELDS),
                    review.due_date, review.done_date)
             .select_from(Certificate.__table__.join(Person.__table__, person.id == cert.person_id)
                          .outerjoin(ReviewRow.__table__, review.certificate_id == cert.id))
             .where(*where).order_by(cert.valid_from.desc(), cert.id, review.due_date))
    grouped: dict[int, tuple[list[Any], StoredHolder, list[StoredReview]]] = {}
    width, holder_end = len(_CERT_FIELDS), len(_CERT_FIELDS) + len(_HOLDER_FIELDS)
    for row in session.execute(query):
        entry = grouped.get(row[0])
        if entry is None:
            entry = grouped[row[0]] = (list(row[:width]), StoredHolder(*row[width:holder_end]), [])
        if row[holder_end] is not None:
            entry[2].append(StoredReview(row[holder_end], row[holder_end + 1]))
    return [(StoredCertificate(**dict(zip(_CERT_FIELDS, values, strict=True)), reviews=tuple(reviews)), holder)
            for values, holder, reviews in grouped.values()]


def facts_of(cert: Certificate | StoredCertificate, current_version: int | None = None) -> CertificateFacts:
    """Plain facts for the status rules."""
    superseded = current_version if current_version and current_version > cert.version else None
    return CertificateFacts(
        kind=cert.kind,  # type: ignore[arg-type]
        exam_passed_date=cert.exam_passed_date,
        first_issue_date=cert.first_issue_date,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        reviews=tuple(RenewalReview(r.due_date, r.done_date) for r in cert.reviews),
        admin_state=cert.admin_state,  # type: ignore[arg-type]
        suspended_until=cert.suspended_until,
        superseded_by_version=superseded,
    )


def status_of(session: Session, cert: CertificateRow, on: date,
              calendar: HolidayCalendar | None = None) -> StatusResult:
    """Status of one certificate version on a date, aware of newer versions."""
    return certificate_status(facts_of(cert, newest_version(session, cert)), on, calendar or current_calendar(session))


def newest_version(session: Session, cert: CertificateRow) -> int | None:
    """The newest version number of the certificate this version belongs to (same holder and identity)."""
    if cert.is_current:
        return cert.version
    return session.scalar(
        select(Certificate.version).where(Certificate.person_id == cert.person_id,
                                          Certificate.identity == cert.identity)
        .order_by(Certificate.version.desc()).limit(1)
    )


def full_certificate(session: Session, cert: CertificateRow) -> Certificate:
    """The ORM row of a looked-up certificate (files need columns the light rows leave out)."""
    if isinstance(cert, Certificate):
        return cert
    row = session.get(Certificate, cert.id)
    assert row is not None  # it was just read
    return row


def find_person(session: Session, pii: PiiCipher, id_number: str) -> Person | None:
    """The holder with this (normalised) ID number, if any."""
    return session.scalar(select(Person).where(Person.id_hash == id_lookup_hash(pii, id_number)))


def find_by_id_and_name(session: Session, pii: PiiCipher, id_number: str, name: str, on: date,
                        ) -> list[Found]:
    """Current certificates of the holder; both the ID number and the name must match.

    Raises IdNumberError for a malformed number (so callers can give a format hint); a
    well-formed number without a match returns [] whether or not the number exists.
    """
    number, wanted = normalize_id_number(id_number), normalize_name(name)
    # One round trip for holder, current certificates and their reviews (the 输入查询 hot path).
    rows = _stored(session, Person.__table__.c.id_hash == id_lookup_hash(pii, number),
                  Certificate.__table__.c.is_current.is_(True))
    if not rows or rows[0][1].name != wanted:
        return []
    return _found(session, rows, on)


def find_by_cert_no(session: Session, pii: PiiCipher, cert_no: str, on: date) -> list[Found]:
    """Every current certificate carrying this number: one per item for a special-operations number
    ("T" + ID number, the same on all of a holder's cards), usually one for a management number.

    Raises IdNumberError for a "T" number whose ID number is malformed. Operators' tool only: a bare
    number proves nothing, so what anyone can reach asks for the holder's name too.
    """
    candidate = id_candidate(cert_no)
    where: tuple[ColumnElement[bool], ...]
    if candidate is not None and cert_no.strip().upper().startswith("T"):
        where = (Person.__table__.c.id_hash == id_lookup_hash(pii, normalize_id_number(candidate)),
                 Certificate.__table__.c.kind == "special_ops")
    else:
        where = (Certificate.__table__.c.cert_no_hash == cert_lookup_hash(pii, cert_no),)
    return _found(session, _stored(session, *where, Certificate.__table__.c.is_current.is_(True)), on)


def find_by_public_id(session: Session, public_id: str, on: date) -> Found | None:
    """One certificate version by the opaque id printed in its QR code."""
    pair = find_with_holder(session, public_id)
    return _found(session, [pair], on)[0] if pair else None


def certificates_of_person(session: Session, person_id: int, on: date) -> list[Found]:
    """Every current certificate of a holder, one per item, newest validity first."""
    rows = _stored(session, Certificate.__table__.c.person_id == person_id,
                   Certificate.__table__.c.is_current.is_(True))
    return _found(session, rows, on)


def find_by_employer(session: Session, text: str, on: date, authority: str | None = None, limit: int = 50,
                     ) -> list[Found]:
    """Current certificates whose 单位名称 contains `text` (staff search; of one 签发机关 when given).

    A substring match scans the table: fine for a person's search, never for a hot path.
    """
    cert = Certificate.__table__.c
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where: list[ColumnElement[bool]] = [cert.is_current.is_(True),
                                        cert.employer.like(f"%{escaped}%", escape="\\")]
    if authority is not None:
        where.append(cert.issuing_authority == authority)
    # Two round trips: MariaDB refuses LIMIT inside an IN (subquery).
    ids = list(session.scalars(select(cert.id).where(*where).order_by(cert.id).limit(limit)))
    return _found(session, _stored(session, cert.id.in_(ids)), on) if ids else []


def _found(session: Session, rows: list[tuple[StoredCertificate, StoredHolder]], on: date) -> list[Found]:
    calendar = current_calendar(session)
    return [Found(cert, person, status_of(session, cert, on, calendar)) for cert, person in rows]


def stored_by_ids(session: Session, ids: list[int]) -> list[tuple[StoredCertificate, StoredHolder]]:
    """Certificate versions by row id with their holders and reviews, in one round trip (batch jobs)."""
    return _stored(session, Certificate.__table__.c.id.in_(ids)) if ids else []


def find_with_holder(session: Session, public_id: str) -> tuple[StoredCertificate, StoredHolder] | None:
    """A certificate version, its reviews and its holder in one round trip (the scan hot path)."""
    if not public_id or len(public_id) > 24:
        return None
    rows = _stored(session, Certificate.__table__.c.public_id == public_id)
    return rows[0] if rows else None



def find_by_number_and_name(session: Session, pii: PiiCipher, number: str, name: str, on: date,
                            ) -> list[Found]:
    """What 输入查询 asks: an ID number or a certificate number, plus the holder's name.

    Both must match. A special-operations number is "T" + the ID number, so it is looked up
    as the ID number (every current certificate of the holder is listed, one per item).
    Malformed ID numbers raise IdNumberError so callers can give a hint.
    """
    candidate = id_candidate(number)
    if candidate is not None:
        return find_by_id_and_name(session, pii, candidate, name, on)
    wanted = normalize_name(name)
    return [f for f in find_by_cert_no(session, pii, number, on) if f.person.name == wanted]


def id_candidate(number: str) -> str | None:
    """The ID number a typed number is meant as ("T" + ID is a special-operations number), else None.

    15 or 18 characters whose first 14 or 17 are digits count, whatever the last one is, so a
    wrong check character is reported by normalize_id_number instead of being treated as a
    certificate number.
    """
    text = number.strip().upper()
    body = text[1:] if text.startswith("T") and len(text) in (16, 19) else text
    return body if len(body) in (15, 18) and body[:-1].isdigit() else None
