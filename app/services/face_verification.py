"""Face verification (人脸核身) of a registered WeChat user against the public-security photo.

start(): DetectAuth with a server nonce as Extra; the FaceAttempt row keeps BizToken and nonce
server-side. finish(): the BizToken comes from that row (never from the redirect's URL), the text
result is fetched, and the user is bound only when ErrCode is 0, Sim reaches the threshold, the
returned IdCard and Name are the registered ones and Extra is our nonce. A BizToken is used once.
Attempts per holder per day are capped: Tencent charges failed comparisons too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import FaceIdSettings
from app.domain.pii import PiiCipher
from app.integrations import rediskeys
from app.integrations.faceid import FaceIdRejected, FaceIdUnavailable, FaceResult, FaceVerifier
from app.integrations.kvstore import KVStore, LockTimeout
from app.services.accounts import bind_verified, to_utc
from app.storage.models import FaceAttempt, Person, WechatUser

BIZ_TOKEN_TTL = timedelta(seconds=7200)  # DetectAuth's BizToken lives 7,200 s
LIVENESS_CODES = range(1001, 1009)
NO_PHOTO_CODES = frozenset({2005, 2007, 2008, 2009})

# One message per result class; every failure page also offers manual review.
MESSAGES = {
    "passed": "人脸核身通过，已绑定您的证书。",
    "liveness": "活体检测未通过。请在光线充足处正对手机，按提示完成动作后重试。",
    "low_similarity": ("人脸比对未通过：与公安机关登记照片的相似度不足。"
                       "证件照较旧时可能出现此情况，可重试或申请人工审核。"),
    "name_id_mismatch": "姓名与身份证号码不一致，请核对登记信息后重试。",
    "no_photo": "公安机关人口库中没有您的照片，无法进行人脸比对，请申请人工审核。",
    "expired": "本次核身已超时失效，请重新开始。",
    "not_finished": "核身尚未完成，请重新开始。",
    "too_many": "今日人脸核身次数已超过限制，请明天再试或申请人工审核。",
    "daily_cap": "今日人脸核身次数已达上限（{cap}次），请明天再试或申请人工审核。",
    "identity_mismatch": "核身所用的身份与您登记的信息不一致，未通过。",
    "failed": "人脸核身未通过，请重试或申请人工审核。",
    "unavailable": "人脸核身服务暂时无法连接，本次未完成核身。请稍后重试或申请人工审核。",
    "error": "人脸核身服务返回错误，本次未完成核身。请稍后重试或申请人工审核。",
    "used": "本次核身结果已处理，请勿重复提交。如需再次核身，请重新开始。",
    "no_attempt": "没有进行中的人脸核身，请重新开始。",
}


@dataclass(frozen=True)
class FaceOutcome:
    """What the user is told after a face check (or an attempt to start one)."""

    kind: str
    message: str
    retry_result: bool = False  # the result could not be fetched: the same attempt may be checked again

    @property
    def passed(self) -> bool:
        return self.kind == "passed"


@dataclass(frozen=True)
class Started:
    """A started attempt: its row id (kept in the session) and where to send the user."""

    attempt_id: int
    url: str


class FaceStartRefused(Exception):
    """The face check could not start; `outcome` says why."""

    def __init__(self, outcome: FaceOutcome) -> None:
        super().__init__(outcome.kind)
        self.outcome = outcome


def outcome(kind: str, cap: int = 0, retry_result: bool = False) -> FaceOutcome:
    """A FaceOutcome with its Chinese message."""
    return FaceOutcome(kind, MESSAGES[kind].format(cap=cap), retry_result)


def classify(result: FaceResult, id_number: str, name: str, nonce: str, threshold: float) -> str:
    """The result class of one verification; "passed" only when every check holds (None fails)."""
    code = result.err_code
    if code is None:
        return "failed"
    if code != 0:
        return _failure_class(code)
    if result.sim is None or result.sim < threshold:
        return "low_similarity"
    if result.id_card != id_number or result.name != name or result.extra != nonce:
        return "identity_mismatch"
    return "passed"


def _failure_class(code: int) -> str:
    """Tencent FaceID result codes grouped as the user needs to hear them."""
    if code in LIVENESS_CODES:
        return "liveness"
    if code in NO_PHOTO_CODES:
        return "no_photo"
    known = {2016: "low_similarity", 2006: "name_id_mismatch", 15: "expired", 17: "not_finished",
             2018: "too_many", 16: "too_many", 301: "identity_mismatch"}
    return known.get(code, "failed")


def attempts_today(db: Session, person_id: int, now: datetime) -> int:
    """FaceAttempt rows of this holder on this China date."""
    return int(db.scalar(select(func.count()).select_from(FaceAttempt).where(
        FaceAttempt.person_id == person_id, FaceAttempt.day == now.date())) or 0)


def start(db: Session, store: KVStore, verifier: FaceVerifier, pii: PiiCipher, settings: FaceIdSettings,
          user: WechatUser, person: Person, redirect_url: str, now: datetime) -> Started:
    """Start a face check for the holder `user` claimed; raises FaceStartRefused with the reason."""
    lock = rediskeys.face_start_lock(pii.blind_index("face", str(person.id)))
    try:
        with store.lock(lock, timeout=2 * settings.timeout + 5, wait=2 * settings.timeout + 5):
            return _start_locked(db, verifier, pii, settings, user, person, redirect_url, now)
    except LockTimeout:
        raise FaceStartRefused(outcome("unavailable")) from None


def _start_locked(db: Session, verifier: FaceVerifier, pii: PiiCipher, settings: FaceIdSettings,
                  user: WechatUser, person: Person, redirect_url: str, now: datetime) -> Started:
    """Count today's attempts and call DetectAuth under the holder's lock, so the cap holds."""
    if attempts_today(db, person.id, now) >= settings.daily_attempts:
        raise FaceStartRefused(outcome("daily_cap", settings.daily_attempts))
    nonce = secrets.token_urlsafe(24)
    id_number = pii.decrypt_text(person.id_number_enc, b"people.id_number")
    try:
        session = verifier.start(id_number, person.name, redirect_url, nonce)
    except FaceIdUnavailable:
        raise FaceStartRefused(outcome("unavailable")) from None
    except FaceIdRejected:
        raise FaceStartRefused(outcome("error")) from None
    attempt = FaceAttempt(openid=user.openid, person_id=person.id, biz_token=session.biz_token, nonce=nonce,
                          state="started", day=now.date(), created_at=to_utc(now))
    db.add(attempt)
    db.commit()
    return Started(attempt.id, session.url)


def finish(db: Session, verifier: FaceVerifier, pii: PiiCipher, settings: FaceIdSettings, openid: str,
           attempt_id: int | None, now: datetime) -> FaceOutcome:
    """Fetch and judge the result of this session's attempt; bind on a pass."""
    attempt = db.get(FaceAttempt, attempt_id) if attempt_id else None
    if attempt is None or attempt.openid != openid:
        return outcome("no_attempt")
    if attempt.state == "passed":
        return outcome("passed")  # a reload of the return page: already bound, nothing to redo
    if attempt.state != "started":
        return outcome("used")
    if to_utc(now) - attempt.created_at > BIZ_TOKEN_TTL:
        return _conclude(db, attempt, "expired", None, now)
    try:
        result = verifier.result(attempt.biz_token)
    except FaceIdUnavailable:
        db.rollback()
        return outcome("unavailable", retry_result=True)
    except FaceIdRejected as exc:
        kind = "expired" if "BizTokenExpired" in exc.code else "error"
        return _conclude(db, attempt, kind, None, now)
    person = db.get(Person, attempt.person_id)
    assert person is not None  # foreign key
    id_number = pii.decrypt_text(person.id_number_enc, b"people.id_number")
    kind = classify(result, id_number, person.name, attempt.nonce, settings.sim_threshold)
    return _conclude(db, attempt, kind, result, now)


def _conclude(db: Session, attempt: FaceAttempt, kind: str, result: FaceResult | None, now: datetime,
              ) -> FaceOutcome:
    """Mark the attempt used (once: a conditional update) and bind on a pass, in one transaction."""
    state = "passed" if kind == "passed" else ("error" if kind == "error" else "failed")
    claimed = db.execute(
        update(FaceAttempt).where(FaceAttempt.id == attempt.id, FaceAttempt.state == "started")
        .values(state=state, err_code=result.err_code if result else None,
                sim=result.sim if result else None, finished_at=to_utc(now))
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        return outcome("used")  # another request concluded this token first
    if kind == "passed":
        user = db.get(WechatUser, attempt.openid)
        if user is None or user.claimed_person_id != attempt.person_id:
            db.rollback()
            return outcome("no_attempt")  # the user re-registered as someone else meanwhile
        bind_verified(db, attempt.openid, attempt.person_id, "face", now, actor=f"openid:{attempt.openid}")
    db.commit()
    return outcome(kind)
