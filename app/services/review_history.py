"""What a reviewer sees around a manual-review request: decided requests (with filters), the holder's
face-check attempts and the registry photo to compare the uploaded ones with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.pii import PiiCipher
from app.services.certificate_admin import certificate_scope
from app.services.face_verification import failure_class
from app.services.manual_review import request_for, visible_to
from app.services.photos import load_photo
from app.services.staff import StaffView
from app.storage.models import Certificate, FaceAttempt, ManualReviewRequest, Person

DECIDED_STATES = ("approved", "rejected")
PAGE_SIZE = 50
# Face-check results as a reviewer needs them (the holder's wording is face_verification.MESSAGES).
FACE_LABELS = {"passed": "通过", "liveness": "活体检测未通过", "low_similarity": "相似度不足",
               "name_id_mismatch": "姓名与号码不一致", "no_photo": "公安库无照片", "expired": "超时失效",
               "not_finished": "未完成", "too_many": "次数超限", "identity_mismatch": "核身身份不一致",
               "failed": "未通过", "reserved": "未开始", "started": "进行中", "error": "服务出错"}


@dataclass(frozen=True)
class DecidedFilter:
    """The filters of the 已处理 list; None means any."""

    state: str | None = None
    reviewer_id: int | None = None
    since: date | None = None  # decided on or after (China date)
    until: date | None = None  # decided on or before


def _china_midnight(day: date) -> datetime:
    """The UTC moment a China-time day starts (UTC+8, no daylight saving)."""
    return datetime.combine(day, datetime.min.time()) - timedelta(hours=8)


def decided_for(session: Session, staff: StaffView, wanted: DecidedFilter, page: int = 0,
                ) -> tuple[list[tuple[ManualReviewRequest, Person]], bool]:
    """Decided requests in scope, newest decision first; and whether another page follows."""
    query = (select(ManualReviewRequest, Person).join(Person, Person.id == ManualReviewRequest.person_id)
             .where(ManualReviewRequest.state.in_(DECIDED_STATES), visible_to(staff)))
    if wanted.state in DECIDED_STATES:
        query = query.where(ManualReviewRequest.state == wanted.state)
    if wanted.reviewer_id is not None:
        query = query.where(ManualReviewRequest.decided_by == wanted.reviewer_id)
    if wanted.since is not None:
        query = query.where(ManualReviewRequest.decided_at >= _china_midnight(wanted.since))
    if wanted.until is not None:
        query = query.where(ManualReviewRequest.decided_at < _china_midnight(wanted.until + timedelta(days=1)))
    rows = session.execute(query.order_by(ManualReviewRequest.decided_at.desc(), ManualReviewRequest.id.desc())
                           .offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)).tuples().all()
    return [(r, p) for r, p in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


@dataclass(frozen=True)
class Attempt:
    """One face check of the holder, as the reviewer reads it."""

    at: datetime
    openid: str
    result: str
    err_code: int | None
    sim: float | None


def face_attempts(session: Session, person_id: int, limit: int = 20) -> list[Attempt]:
    """The holder's most recent face checks, from every WeChat account."""
    rows = session.scalars(select(FaceAttempt).where(FaceAttempt.person_id == person_id)
                           .order_by(FaceAttempt.created_at.desc(), FaceAttempt.id.desc()).limit(limit))
    return [Attempt(row.created_at, row.openid, _result(row), row.err_code, row.sim) for row in rows]


def _result(row: FaceAttempt) -> str:
    if row.state == "passed":
        return FACE_LABELS["passed"]
    if row.state == "failed" and row.err_code is not None:
        return FACE_LABELS[failure_class(row.err_code)]
    return FACE_LABELS.get(row.state, row.state)


def registry_photo_id(session: Session, staff: StaffView, item: ManualReviewRequest) -> int | None:
    """The photo of the holder's current certificate of the request's 签发机关 (the newest with one)."""
    return session.scalar(select(Certificate.photo_id).where(
        Certificate.person_id == item.person_id, Certificate.is_current.is_(True),
        Certificate.issuing_authority == item.authority, Certificate.photo_id.is_not(None), certificate_scope(staff))
        .order_by(Certificate.valid_from.desc()).limit(1))


def registry_photo(session: Session, pii: PiiCipher, staff: StaffView, request_id: int) -> bytes | None:
    """The registry photo's bytes, for a reviewer who may see the request."""
    item = request_for(session, staff, request_id)
    return load_photo(session, pii, registry_photo_id(session, staff, item)) if item is not None else None
