"""Manual review (人工审核): a worker's request, the reviewer's queue and decision, photo purge.

When the face check fails the worker chooses the 签发机关, describes the problem and uploads a photo
holding the ID card; a reviewer of that authority approves or rejects it. China's 2025 face-recognition
rules require such an alternative to face recognition (docs/rules.md, "Face verification and the manual alternative").
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, delete, func, select, true, update
from sqlalchemy.orm import Session

from app.domain.errors import UserError
from app.domain.pii import PiiCipher
from app.services import accounts, audit, notify
from app.services.photos import PhotoError, sanitize_image
from app.services.staff import StaffView
from app.services.timeutil import utc_naive
from app.storage.locks import lock_holder
from app.storage.models import (
    Certificate,
    ManualReviewRequest,
    ReviewPhoto,
)

PHOTO_KINDS = {"holding_id": "手持身份证照片", "id_front": "身份证人像面", "id_back": "身份证国徽面"}
REQUIRED_PHOTO = "holding_id"
PHOTO_CONTEXT = b"review_photos.data"
MAX_DESCRIPTION = 500
MAX_REASON = 200
STATE_LABELS = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}
PURGE_BATCH = 500
MEDIAN_SAMPLE = 50  # recent decisions the "usually takes" estimate is computed from


class ReviewError(UserError):
    """A request or decision that cannot be accepted; `message` is Chinese text for the user."""


@dataclass(frozen=True)
class Submission:
    """What the worker sent: the chosen authority, the description and raw uploaded files."""

    authority: str
    description: str
    photos: dict[str, bytes]


def authorities_of(session: Session, person_id: int) -> list[str]:
    """The 签发机关 of the person's current certificates, the choices offered on the form."""
    rows = session.scalars(
        select(Certificate.issuing_authority).where(Certificate.person_id == person_id,
                                                    Certificate.is_current.is_(True)).distinct())
    return sorted(rows)


def _requests_of(person_id: int, openid: str) -> Select[tuple[ManualReviewRequest]]:
    """Requests for one holder from one WeChat account.

    Keyed by both: someone who registered as this holder from another account must neither block
    the holder's own request nor show up on the holder's status page.
    """
    return select(ManualReviewRequest).where(ManualReviewRequest.person_id == person_id,
                                             ManualReviewRequest.openid == openid)


def open_request(session: Session, person_id: int, openid: str) -> ManualReviewRequest | None:
    """This account's pending request for the holder, if any (there is at most one)."""
    return session.scalar(_requests_of(person_id, openid).where(ManualReviewRequest.state == "pending"))


def latest_request(session: Session, person_id: int, openid: str) -> ManualReviewRequest | None:
    """This account's most recent request for the holder, in any state."""
    return session.scalar(_requests_of(person_id, openid)
                          .order_by(ManualReviewRequest.created_at.desc(), ManualReviewRequest.id.desc())
                          .limit(1))


def clean_photos(files: dict[str, bytes], max_bytes: int) -> dict[str, tuple[bytes, str]]:
    """Decode and re-encode every uploaded photo (no EXIF/GPS); the holding photo is required."""
    if not files.get(REQUIRED_PHOTO):
        raise ReviewError("请上传手持身份证的本人照片", field=REQUIRED_PHOTO)
    cleaned = {}
    for kind, data in files.items():
        if kind not in PHOTO_KINDS or not data:
            continue
        try:
            cleaned[kind] = sanitize_image(data, max_bytes=max_bytes)
        except PhotoError as exc:
            raise ReviewError(f"{PHOTO_KINDS[kind]}：{exc.message}", field=kind) from exc
    return cleaned


def _check_text(session: Session, person_id: int, sub: Submission) -> str:
    """The trimmed description, after checking it and the chosen authority."""
    if sub.authority not in authorities_of(session, person_id):
        raise ReviewError("请选择您证书上的签发机关", field="authority")
    description = sub.description.strip()
    if not description:
        raise ReviewError("请说明遇到的问题", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ReviewError(f"问题说明请不超过{MAX_DESCRIPTION}字", field="description")
    return description


def submit(session: Session, pii: PiiCipher, *, person_id: int, openid: str, sub: Submission,
           now: datetime, max_photo_bytes: int) -> ManualReviewRequest:
    """Store a new request with its encrypted photos and commit it before returning."""
    description = _check_text(session, person_id, sub)
    photos = clean_photos(sub.photos, max_photo_bytes)
    lock_holder(session, person_id)  # two simultaneous submissions cannot both pass the "one open" check
    if open_request(session, person_id, openid) is not None:
        session.rollback()
        raise ReviewError("您已有一个待审核的申请，请等待审核结果")
    at = utc_naive(now)
    request = ManualReviewRequest(person_id=person_id, openid=openid, authority=sub.authority,
                                  description=description, state="pending", created_at=at)
    session.add(request)
    session.flush()
    for kind, (data, mime) in photos.items():
        session.add(ReviewPhoto(request_id=request.id, kind=kind, content_type=mime,
                                data_enc=pii.encrypt(data, PHOTO_CONTEXT), created_at=at))
    _audit(session, f"openid:{openid}", "manual_review.submit", request, at, {"photos": sorted(photos)})
    session.commit()
    return request


def median_decision_time(session: Session, sample: int = MEDIAN_SAMPLE) -> timedelta | None:
    """Median time from request to decision over the most recent decisions (None without data)."""
    rows = session.execute(
        select(ManualReviewRequest.created_at, ManualReviewRequest.decided_at)
        .where(ManualReviewRequest.decided_at.is_not(None))
        .order_by(ManualReviewRequest.decided_at.desc()).limit(sample)).all()
    if not rows:
        return None
    return timedelta(seconds=statistics.median((d - c).total_seconds() for c, d in rows))


def visible_to(staff: StaffView) -> ColumnElement[bool]:
    """The WHERE clause limiting a reviewer to their own 签发机关 (admins see every request)."""
    return true() if staff.all_authorities else ManualReviewRequest.authority == staff.authority


def pending_for(session: Session, staff: StaffView, limit: int = 200) -> list[ManualReviewRequest]:
    """The reviewer's queue, oldest first."""
    return list(session.scalars(
        select(ManualReviewRequest).where(ManualReviewRequest.state == "pending", visible_to(staff))
        .order_by(ManualReviewRequest.created_at, ManualReviewRequest.id).limit(limit)))


def pending_count(session: Session, staff: StaffView) -> int:
    """How many requests wait for this reviewer."""
    return int(session.scalar(select(func.count()).select_from(ManualReviewRequest)
                              .where(ManualReviewRequest.state == "pending", visible_to(staff))) or 0)


def _row_id(value: int) -> bool:
    """Whether a number from a URL can be a row id (huge numbers overflow the database driver)."""
    return 0 < value < 2**31


def request_for(session: Session, staff: StaffView, request_id: int) -> ManualReviewRequest | None:
    """A request the reviewer may see; another authority's request is simply not found."""
    if not _row_id(request_id):
        return None
    return session.scalar(select(ManualReviewRequest).where(ManualReviewRequest.id == request_id,
                                                            visible_to(staff)))


def photos_of(session: Session, request_id: int) -> list[ReviewPhoto]:
    """The request's photos (none once purged), in the order of PHOTO_KINDS."""
    order = list(PHOTO_KINDS)
    photos = session.scalars(select(ReviewPhoto).where(ReviewPhoto.request_id == request_id))
    return sorted(photos, key=lambda p: order.index(p.kind) if p.kind in order else len(order))


def photo_for(session: Session, pii: PiiCipher, staff: StaffView, request_id: int, photo_id: int,
              ) -> bytes | None:
    """Decrypted bytes of one photo, only for a reviewer who may see the request."""
    if request_for(session, staff, request_id) is None or not _row_id(photo_id):
        return None
    photo = session.scalar(select(ReviewPhoto).where(ReviewPhoto.id == photo_id,
                                                     ReviewPhoto.request_id == request_id))
    return pii.decrypt(photo.data_enc, PHOTO_CONTEXT) if photo else None


@dataclass(frozen=True)
class Decision:
    """A committed decision and the notification queued with it."""

    request: ManualReviewRequest
    notification_id: int


def decide(session: Session, staff: StaffView, request_id: int, approve: bool, reason: str,
           now: datetime) -> Decision:
    """Approve or reject a pending request; audit, verification and notification in one commit."""
    reason = reason.strip()
    if not approve and not reason:
        raise ReviewError("驳回时请填写理由", field="reason")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"理由请不超过{MAX_REASON}字", field="reason")
    request = session.scalar(select(ManualReviewRequest).where(
        ManualReviewRequest.id == request_id, visible_to(staff)).with_for_update()) if _row_id(request_id) else None
    if request is None:
        raise ReviewError("申请不存在")
    if request.state != "pending":
        raise ReviewError("该申请已经处理过了")
    at = utc_naive(now)
    request.state = "approved" if approve else "rejected"
    request.reason, request.decided_by, request.decided_at = reason or None, staff.id, at
    if approve:
        _mark_verified(session, request, at, f"staff:{staff.username}")
    _audit(session, f"staff:{staff.username}", f"manual_review.{request.state}", request, at,
           {"reason": reason, "staff_id": staff.id})
    notification = notify.enqueue_review_result(session, request, at)
    session.commit()
    return Decision(request, notification.id)


def _mark_verified(session: Session, request: ManualReviewRequest, at: datetime, actor: str) -> None:
    """Bind and verify the requesting openid (method manual); an older binding is moved and audited."""
    try:
        accounts.bind_verified(session, request.openid, request.person_id, "manual", at, actor)
    except ValueError as exc:  # the openid now claims another holder: approving would bind the wrong one
        raise ReviewError("该微信用户已改为登记其他持证人，不能通过此申请") from exc


def _audit(session: Session, actor: str, action: str, request: ManualReviewRequest, at: datetime,
           detail: dict[str, object]) -> None:
    """Append an audit entry about a request (no personal data in the clear)."""
    audit.record(session, actor, action, f"manual_review:{request.id}", detail, at)


def purge_photos(session: Session, now: datetime, retention_days: int) -> int:
    """Delete the photos of requests decided more than `retention_days` ago; returns how many."""
    cutoff, total = utc_naive(now) - timedelta(days=retention_days), 0
    while ids := list(session.scalars(select(ManualReviewRequest.id).where(
            ManualReviewRequest.decided_at.is_not(None), ManualReviewRequest.decided_at <= cutoff,
            ManualReviewRequest.photos_purged_at.is_(None)).limit(PURGE_BATCH))):
        deleted = session.execute(delete(ReviewPhoto).where(ReviewPhoto.request_id.in_(ids)))
        session.execute(update(ManualReviewRequest).where(ManualReviewRequest.id.in_(ids))
                        .values(photos_purged_at=utc_naive(now)))
        session.commit()  # batch by batch: a long purge never holds one huge transaction
        total += int(deleted.rowcount or 0)  # type: ignore[attr-defined]
    return total
