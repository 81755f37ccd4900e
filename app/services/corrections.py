"""信息更正: a holder reports a wrong field with an evidence photo; a reviewer decides within 5 working days.

网上申请、网上审批、限时办结 (the notice this project comes from). The request goes to the certificate's
签发机关; approving applies it through the same path as an operator's correction
(app.services.certificate_admin.record_correction), so the history keeps the old value. Both
outcomes are sent to the WeChat account that asked. Rules: app.domain.corrections, docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import Session

from app.domain.certactions import Action, Request
from app.domain.corrections import (
    FIELDS,
    CorrectionValueError,
    Countdown,
    countdown,
    display,
    field_for,
    parse_value,
)
from app.domain.deadlines import DeadlineState
from app.domain.errors import UserError
from app.domain.legalbasis import LegalBases
from app.domain.pii import PiiCipher
from app.domain.workdays import HolidayCalendar
from app.services import audit, certificate_admin, notices, notify
from app.services.photos import PhotoError, sanitize_image
from app.services.staff import StaffView
from app.services.timeutil import china, china_text, utc_naive
from app.storage.locks import lock_holder
from app.storage.models import Certificate, CorrectionRequest, Person

PHOTO_CONTEXT = b"correction_requests.photo"
MAX_NOTE = 200
MAX_REASON = 200
HOLDER_BASIS = "pipl-46"  # 个人信息保护法 Art. 46: the holder asked for the correction
STATE_LABELS = {"pending": "待处理", "approved": "已更正", "rejected": "未通过"}
PURGE_BATCH = 500


class CorrectionError(UserError):
    """A request or decision that cannot be accepted; `message` is Chinese text for the user."""


@dataclass(frozen=True)
class Submission:
    """What the holder sent."""

    field: str
    value: str
    note: str
    photo: bytes


def open_request(session: Session, cert_id: int, openid: str) -> CorrectionRequest | None:
    """This account's pending request about the certificate (there is at most one)."""
    return session.scalar(select(CorrectionRequest).where(
        CorrectionRequest.certificate_id == cert_id, CorrectionRequest.openid == openid,
        CorrectionRequest.state == "pending"))


def requests_of(session: Session, person_id: int, openid: str) -> list[CorrectionRequest]:
    """This account's requests about the holder's certificates, newest first."""
    return list(session.scalars(select(CorrectionRequest).where(
        CorrectionRequest.person_id == person_id, CorrectionRequest.openid == openid)
        .order_by(CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc())))


def _checked(cert: Certificate, person: Person, sub: Submission, max_photo_bytes: int) -> tuple[str, bytes, str]:
    """The value as shown, the cleaned photo and its type, after checking every input."""
    if not cert.is_current:
        raise CorrectionError("这是已换发的旧版本证书，请在现行版本上申请更正")
    try:
        field = field_for(sub.field, cert.kind)
        value = parse_value(field, sub.value, certificate_admin.current_values(cert, person))
    except CorrectionValueError as exc:
        raise CorrectionError(exc.message, exc.field) from None
    if len(sub.note.strip()) > MAX_NOTE:
        raise CorrectionError(f"补充说明请不超过{MAX_NOTE}字", "note")
    if not sub.photo:
        raise CorrectionError("请上传证明材料的照片（如身份证、毕业证或单位证明）", "photo")
    try:
        photo, mime = sanitize_image(sub.photo, max_bytes=max_photo_bytes)
    except PhotoError as exc:
        raise CorrectionError(exc.message, "photo") from None
    return display(value), photo, mime


def submit(session: Session, pii: PiiCipher, cert: Certificate, person: Person, openid: str, sub: Submission,
           now: datetime, max_photo_bytes: int) -> CorrectionRequest:
    """Store a request with its encrypted photo and commit it (one open request per certificate and account)."""
    value, photo, mime = _checked(cert, person, sub, max_photo_bytes)
    lock_holder(session, person.id)  # two simultaneous posts cannot both pass the "one open" check
    if open_request(session, cert.id, openid) is not None:
        session.rollback()
        raise CorrectionError("这张证书已有一个待处理的更正申请，请等待处理结果")
    at = utc_naive(now)
    row = CorrectionRequest(certificate_id=cert.id, person_id=person.id, openid=openid,
                            authority=cert.issuing_authority, field=sub.field, value=value,
                            note=sub.note.strip() or None, photo_type=mime,
                            photo_enc=pii.encrypt(photo, PHOTO_CONTEXT), state="pending", created_at=at)
    session.add(row)
    session.flush()
    audit.record(session, f"openid:{openid}", "correction.submit", f"correction:{row.id}",
                   {"certificate": cert.public_id, "field": sub.field}, at)
    session.commit()
    return row


# --- the reviewer's side ------------------------------------------------------------------------

def visible_to(staff: StaffView) -> ColumnElement[bool]:
    """Requests of the reviewer's own 签发机关 (all for the city bureau's accounts)."""
    return true() if staff.all_authorities else CorrectionRequest.authority == staff.authority


@dataclass(frozen=True)
class Queued:
    """One request as the queue shows it."""

    request: CorrectionRequest
    certificate: Certificate
    person: Person
    countdown: Countdown


def _rows(session: Session, staff: StaffView, state: str | None, limit: int,
          ) -> list[tuple[CorrectionRequest, Certificate, Person]]:
    query = (select(CorrectionRequest, Certificate, Person)
             .join(Certificate, Certificate.id == CorrectionRequest.certificate_id)
             .join(Person, Person.id == CorrectionRequest.person_id).where(visible_to(staff)))
    if state == "pending":
        query = query.where(CorrectionRequest.state == "pending").order_by(CorrectionRequest.created_at)
    else:
        query = query.where(CorrectionRequest.state != "pending").order_by(CorrectionRequest.decided_at.desc())
    return [(r, c, p) for r, c, p in session.execute(query.limit(limit))]


def submitted_on(request: CorrectionRequest) -> date:
    """The China-time day the request came in: the deadline counts from the day after."""
    return china(request.created_at).date()


def queue(session: Session, staff: StaffView, today: date, calendar: HolidayCalendar, limit: int = 200,
          ) -> list[Queued]:
    """Pending requests, oldest first, each with its countdown."""
    return [Queued(r, c, p, countdown(submitted_on(r), today, calendar))
            for r, c, p in _rows(session, staff, "pending", limit)]


def decided(session: Session, staff: StaffView, limit: int = 50) -> list[tuple[CorrectionRequest, Certificate,
                                                                               Person]]:
    """The most recently decided requests."""
    return _rows(session, staff, None, limit)


def deadline_counts(items: list[Queued]) -> dict[DeadlineState, int]:
    """How many pending requests are overdue, due soon, on track or without a known deadline."""
    return {state: sum(1 for item in items if item.countdown.state is state) for state in DeadlineState}


def request_for(session: Session, staff: StaffView, request_id: int, lock: bool = False) -> CorrectionRequest | None:
    """A request the reviewer may see; another authority's request is simply not found."""
    if not 0 < request_id < 2**31:
        return None
    query = select(CorrectionRequest).where(CorrectionRequest.id == request_id, visible_to(staff))
    return session.scalar(query.with_for_update() if lock else query)


def photo_for(session: Session, pii: PiiCipher, staff: StaffView, request_id: int) -> bytes | None:
    """The decrypted evidence photo, for reviewers who may see the request (None once purged)."""
    row = request_for(session, staff, request_id)
    return pii.decrypt(row.photo_enc, PHOTO_CONTEXT) if row is not None and row.photo_enc else None


def decide(session: Session, staff: StaffView, request_id: int, approve: bool, reason: str, now: datetime,
           bases: LegalBases) -> tuple[CorrectionRequest, int]:
    """Approve (the correction is applied) or reject (a reason is required); the holder is told either way."""
    reason = reason.strip()
    if not approve and not reason:
        raise CorrectionError("不予更正时请填写理由，理由会发送给申请人", "reason")
    if len(reason) > MAX_REASON:
        raise CorrectionError(f"理由请不超过{MAX_REASON}字", "reason")
    row = request_for(session, staff, request_id, lock=True)
    if row is None or row.state != "pending":
        raise CorrectionError("申请不存在或已处理")
    at = utc_naive(now)
    if approve:
        _apply(session, staff, row, bases, at)
    row.state, row.reason, row.decided_by, row.decided_at = (
        "approved" if approve else "rejected", reason or None, staff.id, at)
    audit.record(session, audit.staff_actor(staff.username), f"correction.{row.state}", f"correction:{row.id}",
                   {"staff_id": staff.id, "field": row.field, "reason": reason}, at)
    payload = notices.correction_payload(row.id, FIELDS[row.field].label, row.state, reason, china_text(at))
    notification = notify.enqueue(session, row.openid, notices.CORRECTION_RESULT, payload, at)
    session.commit()
    return row, notification.id


def _apply(session: Session, staff: StaffView, row: CorrectionRequest, bases: LegalBases, at: datetime) -> None:
    """Apply the requested value through the operators' correction path (checked again: the record may
    have changed since the request came in)."""
    cert = session.scalar(select(Certificate).where(Certificate.id == row.certificate_id).with_for_update())
    person = session.get(Person, row.person_id)
    assert cert is not None and person is not None
    if not cert.is_current:
        raise CorrectionError("证书已换发新版本，请驳回并请持证人在新版本上申请")
    try:
        field = field_for(row.field, cert.kind)
        value = parse_value(field, row.value, certificate_admin.current_values(cert, person))
    except CorrectionValueError as exc:
        raise CorrectionError(f"无法按申请更正：{exc.message}") from None
    request = Request(Action.CORRECT, f"持证人申请更正（更正申请#{row.id}）", HOLDER_BASIS)
    certificate_admin.record_correction(session, staff, cert, field, value, request, bases, at, correction_id=row.id)


def purge_photos(session: Session, now: datetime, retention_days: int) -> int:
    """Drop evidence photos of requests decided more than `retention_days` ago; returns how many."""
    cutoff, total = utc_naive(now) - timedelta(days=retention_days), 0
    while ids := list(session.scalars(select(CorrectionRequest.id).where(
            CorrectionRequest.decided_at.is_not(None), CorrectionRequest.decided_at <= cutoff,
            CorrectionRequest.photo_purged_at.is_(None)).limit(PURGE_BATCH))):
        session.execute(update(CorrectionRequest).where(CorrectionRequest.id.in_(ids))
                        .values(photo_enc=None, photo_purged_at=utc_naive(now)))
        session.commit()
        total += len(ids)
    return total
