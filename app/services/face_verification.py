"""Face verification (人脸核身) of a registered WeChat user against the public-security photo.

start(): DetectAuth with a server nonce as Extra; the FaceAttempt row keeps BizToken and nonce
server-side. finish(): the BizToken comes from that row (never from the redirect's URL), the text
result is fetched, and the user is bound only when ErrCode is 0, Sim reaches the threshold, the
returned IdCard and Name are the registered ones and Extra is our nonce. A BizToken is used once.
Attempts per holder per day are capped, per WeChat account and over all accounts: Tencent charges
failed comparisons too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import FaceIdSettings
from app.domain.pii import PiiCipher
from app.integrations.faceid import FaceIdRejected, FaceIdUnavailable, FaceResult, FaceVerifier
from app.services.accounts import bind_verified, to_utc
from app.storage.locks import lock_holder
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
    "holder_cap": ("今日用您的身份信息进行的人脸核身次数已达上限，请明天再试或申请人工审核。"
                   "如果不是您本人操作，请联系发证机关。"),
    "identity_mismatch": "核身所用的身份与您登记的信息不一致，未通过。",
    "failed": "人脸核身未通过，请重试或申请人工审核。",
    "unavailable": "人脸核身服务暂时无法连接，本次未完成核身。请稍后重试或申请人工审核。",
    "error": "人脸核身服务返回错误，本次未完成核身。请稍后重试或申请人工审核。",
    "used": "本次核身结果已处理，请勿重复提交。如需再次核身，请重新开始。",
    "no_attempt": "没有进行中的人脸核身，请重新开始。",
    "bound": "您已完成身份核验，证书已绑定到当前微信。",
}
CAP_KINDS = frozenset({"daily_cap", "holder_cap"})
# Results that mean the registered name or ID number may be wrong: the page links back to registration.
REGISTRATION_KINDS = frozenset({"name_id_mismatch", "identity_mismatch"})


@dataclass(frozen=True)
class FaceOutcome:
    """What the user is told after a face check (or an attempt to start one)."""

    kind: str
    message: str
    retry_result: bool = False  # the result could not be fetched: the same attempt may be checked again

    @property
    def passed(self) -> bool:
        """Whether the user is verified now (by this check, or already before it)."""
        return self.kind in ("passed", "bound")


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


def as_seen_by(result: FaceOutcome, bound: bool) -> FaceOutcome:
    """What a user already bound is told when there is nothing left to finish (a reload after passing)."""
    return outcome("bound") if bound and result.kind in ("no_attempt", "used") else result


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


def cap_reached(own_today: int, holder_today: int, settings: FaceIdSettings) -> str | None:
    """Which daily cap a new attempt would pass: "daily_cap" (this account), "holder_cap" (everyone), or None.

    Tencent charges every comparison. The account's own cap comes first so that someone who
    registered as this holder from another WeChat account cannot use up the holder's checks; the
    higher cap over all accounts still bounds what one ID number can cost in a day.
    """
    if own_today >= settings.daily_attempts:
        return "daily_cap"
    if holder_today >= settings.daily_attempts_per_holder:
        return "holder_cap"
    return None


def attempts_left(own_today: int, holder_today: int, settings: FaceIdSettings) -> int:
    """How many more face checks this account may start today (what the face-check page tells the worker).

    The lower of the two caps decides, as in `cap_reached`: never less than 0.
    """
    return max(0, min(settings.daily_attempts - own_today, settings.daily_attempts_per_holder - holder_today))


def left_today(db: Session, settings: FaceIdSettings, person_id: int, openid: str, now: datetime) -> int:
    """`attempts_left` counted in the database for this holder and WeChat account."""
    return attempts_left(attempts_today(db, person_id, now, openid), attempts_today(db, person_id, now), settings)


def attempts_today(db: Session, person_id: int, now: datetime, openid: str | None = None) -> int:
    """FaceAttempt rows of this holder on this China date (from one WeChat account if given)."""
    query = select(func.count()).select_from(FaceAttempt).where(
        FaceAttempt.person_id == person_id, FaceAttempt.day == now.date())
    if openid is not None:
        query = query.where(FaceAttempt.openid == openid)
    return int(db.scalar(query) or 0)


def start(db: Session, verifier: FaceVerifier, pii: PiiCipher, settings: FaceIdSettings, user: WechatUser,
          person: Person, redirect_url: str, now: datetime) -> Started:
    """Start a face check for the holder `user` claimed; raises FaceStartRefused with the reason.

    The attempt is reserved (caps counted, row inserted, committed) before DetectAuth is called, so
    simultaneous presses cannot all pass the count; a DetectAuth that fails frees its reservation.
    """
    attempt = _reserve(db, settings, user.openid, person.id, now)
    id_number = pii.decrypt_text(person.id_number_enc, b"people.id_number")
    try:
        session = verifier.start(id_number, person.name, redirect_url, attempt.nonce)
    except (FaceIdUnavailable, FaceIdRejected) as exc:
        db.delete(attempt)
        db.commit()
        raise FaceStartRefused(outcome("unavailable" if isinstance(exc, FaceIdUnavailable) else "error")) from None
    attempt.biz_token, attempt.state = session.biz_token, "started"
    db.commit()
    return Started(attempt.id, session.url)


def _reserve(db: Session, settings: FaceIdSettings, openid: str, person_id: int, now: datetime) -> FaceAttempt:
    """Count today's attempts and insert this one in one transaction under the holder's lock."""
    lock_holder(db, person_id)
    refused = cap_reached(attempts_today(db, person_id, now, openid), attempts_today(db, person_id, now), settings)
    if refused is not None:
        db.rollback()
        raise FaceStartRefused(outcome(refused, settings.daily_attempts))
    attempt = FaceAttempt(openid=openid, person_id=person_id, biz_token=None, nonce=secrets.token_urlsafe(24),
                          state="reserved", day=now.date(), created_at=to_utc(now))
    db.add(attempt)
    db.commit()
    return attempt


def finish(db: Session, verifier: FaceVerifier, pii: PiiCipher, settings: FaceIdSettings, openid: str,
           attempt_id: int | None, now: datetime) -> FaceOutcome:
    """Fetch and judge the result of this session's attempt; bind on a pass."""
    attempt = db.get(FaceAttempt, attempt_id) if attempt_id else None
    if attempt is None or attempt.openid != openid or attempt.biz_token is None:  # None: still reserved
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
