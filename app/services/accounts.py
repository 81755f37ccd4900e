"""WeChat users: registration as a holder, binding after verification, their certificates and downloads.

An openid first *claims* a holder (registration: name + ID number + mobile + face consent); it is
*bound* only when a verification passes (face, or manual review by staff). One openid is bound to one
holder and a holder to one openid: binding a holder already bound elsewhere moves the binding and
writes an audit entry. Nothing here imports Flask.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import UserError
from app.domain.idnumber import IdNumberError, normalize_id_number
from app.domain.names import PersonNameError, normalize_name
from app.domain.pii import PiiCipher
from app.integrations.kvstore import KVStore
from app.services import audit, ratelimit
from app.services.ratelimit import Hit, Rule
from app.services.registry import (
    CertificateRow,
    Found,
    cert_lookup_hash,
    certificates_of_person,
    find_person,
    id_candidate,
    status_of,
)
from app.storage.models import Certificate, DownloadLog, Person, WechatUser

# Shown next to its own checkbox on the registration form and stored verbatim with the time.
# Face data is sensitive personal information (PIPL Art. 28-29): separate, explicit consent.
CONSENT_TEXT = ("我同意本服务通过腾讯云人脸核身，将我的姓名、身份证号码和现场人脸"
                "与公安机关登记的照片进行比对，仅用于确认本人身份；本服务不保存人脸图像。我知道可以不同意并改为申请人工审核。")
CONSENT_MISSING = "请阅读并勾选人脸核身授权，或点“不同意人脸核身，改为人工审核”。"
NOT_FOUND_MESSAGE = "未找到与您填写的信息相符的持证记录，请核对姓名和证件号码。"
REGISTRATIONS = Rule("register:openid", limit=10, window=86400)  # tries per openid per China day
_MOBILE = re.compile(r"1[3-9]\d{9}")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class RegistrationError(UserError, ValueError):
    """A registration that cannot proceed; `message` is Chinese text for the user, `field` the input."""


def to_utc(moment: datetime) -> datetime:
    """Naive UTC, as every DateTime column stores it."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def normalize_mobile(raw: str) -> str:
    """A mainland mobile number (11 digits, 1[3-9]...), spaces, dashes and +86 tolerated."""
    text = re.sub(r"[\s\-]", "", raw.translate(_FULL_WIDTH_DIGITS))
    text = text.removeprefix("+86")
    if not _MOBILE.fullmatch(text):
        raise RegistrationError("请输入11位手机号码（1开头）", "mobile")
    return text


def check_register_rate(store: KVStore, openid: str, now: datetime) -> None:
    """Registration looks holders up by ID number + name: cap tries per openid per day."""
    if ratelimit.check(store, now, Hit(REGISTRATIONS, openid)) is not None:
        raise RegistrationError("今日提交次数过多，请明天再试。")


def _clean_inputs(name: str, id_number: str, mobile: str, consent: bool, today: date, face: bool,
                  ) -> tuple[str, str, str]:
    """Validate the form's fields, naming the first bad one (consent only for the face check)."""
    try:
        clean_name = normalize_name(name)
    except PersonNameError as exc:
        raise RegistrationError(exc.message, "name") from None
    try:
        number = normalize_id_number(id_number, today)
    except IdNumberError as exc:
        raise RegistrationError(exc.message, "id_number") from None
    clean_mobile = normalize_mobile(mobile)
    if face and not consent:
        raise RegistrationError(CONSENT_MISSING, "consent")
    return clean_name, number, clean_mobile


def _holder(db: Session, pii: PiiCipher, number: str, name: str) -> Person | None:
    """The holder with this ID number and name who has at least one certificate."""
    person = find_person(db, pii, number)
    if person is None or person.name != name:
        return None
    has_cert = db.scalar(select(Certificate.id).where(Certificate.person_id == person.id).limit(1))
    return person if has_cert else None


def register(db: Session, pii: PiiCipher, openid: str, name: str, id_number: str, mobile: str,
             consent: bool, now: datetime, face: bool = True) -> int:
    """Record that `openid` claims a holder (returns its id); binding waits for a passed verification.

    `face`: the worker goes on to the face check, which needs his consent; without it (he chose
    manual review instead, as the 2025 face-recognition rules allow) no consent is recorded.
    Whether another openid is bound to the holder is not part of the answer: telling a stranger
    who typed a name and ID number that this person uses the service would leak it.
    """
    clean_name, number, clean_mobile = _clean_inputs(name, id_number, mobile, consent, now.date(), face)
    person = _holder(db, pii, number, clean_name)
    if person is None:
        raise RegistrationError(NOT_FOUND_MESSAGE)  # the same words whatever did not match
    user = db.get(WechatUser, openid) or WechatUser(openid=openid, created_at=to_utc(now))
    if user.person_id is not None and user.person_id != person.id:
        raise RegistrationError("本微信已绑定其他持证人，不能再登记为另一位持证人。")
    user.claimed_person_id = person.id
    user.mobile_enc = pii.encrypt(clean_mobile, b"wechat_users.mobile")
    if consent:
        record_consent(user, now)
    else:  # manual review chosen instead: an earlier consent is not carried over
        user.consent_text, user.consent_at = None, None
    db.add(user)
    db.commit()
    return person.id


def record_consent(user: WechatUser, now: datetime) -> None:
    """Keep the exact consent text the worker agreed to, with the time (caller commits)."""
    user.consent_text, user.consent_at = CONSENT_TEXT, to_utc(now)


def bind_verified(db: Session, openid: str, person_id: int, method: str, now: datetime, actor: str,
                  ) -> None:
    """Bind `openid` to the holder it claimed after a passed verification (caller commits).

    A holder bound to another openid is moved here and the move is audited: the previous openid
    loses access at once. Manual review (method "manual") calls this too.
    """
    user = db.get(WechatUser, openid)
    if user is None or user.claimed_person_id != person_id:
        raise ValueError("the openid has not claimed this holder")
    previous = db.scalar(select(WechatUser).where(WechatUser.person_id == person_id,
                                                  WechatUser.openid != openid))
    if previous is not None:
        previous.person_id, previous.verified_at, previous.verified_method = None, None, None
        previous.claimed_person_id = None
        db.flush()  # release the unique person_id before taking it
        audit.record(db, actor, "wechat.rebind", f"person:{person_id}",
              {"from_openid": previous.openid, "to_openid": openid, "method": method}, now)
    user.person_id, user.bound_at = person_id, to_utc(now)
    user.verified_at, user.verified_method = to_utc(now), method
    audit.record(db, actor, "wechat.bind", f"person:{person_id}", {"openid": openid, "method": method}, now)


def bound_openid(db: Session, person_id: int) -> str | None:
    """The WeChat account bound to the holder after verification, if any (where notices go)."""
    return db.scalar(select(WechatUser.openid).where(WechatUser.person_id == person_id))


def holds_number(db: Session, pii: PiiCipher, openid: str, number: str) -> bool:
    """Whether `openid` is verified and bound to the holder of `number` (his ID number, "T" + it, or
    the 证号 of one of his certificates): such a lookup is never rate-limited (lookup_limits)."""
    user = db.get(WechatUser, openid) if openid else None
    if user is None or user.person_id is None or user.verified_at is None:
        return False
    candidate = id_candidate(number)
    if candidate is not None:
        try:
            person = find_person(db, pii, normalize_id_number(candidate))
        except IdNumberError:
            return False
        return person is not None and person.id == user.person_id
    return db.scalar(select(Certificate.id).where(
        Certificate.person_id == user.person_id,
        Certificate.cert_no_hash == cert_lookup_hash(pii, number)).limit(1)) is not None


def certificates_of(db: Session, person: Person, on: date) -> list[Found]:
    """The holder's current certificates with their status, one per item, newest first."""
    return certificates_of_person(db, person.id, on)


def own_certificate(db: Session, person: Person, public_id: str, on: date) -> Found | None:
    """A certificate version by public id, only if it belongs to `person`."""
    if not public_id or len(public_id) > 24:
        return None
    cert = db.scalar(select(Certificate).where(Certificate.public_id == public_id,
                                               Certificate.person_id == person.id))
    return Found(cert, person, status_of(db, cert, on)) if cert else None


def set_reminders(db: Session, openid: str, on: bool) -> None:
    """Turn the reminder messages of this WeChat user on or off (app/services/reminders.py reads it)."""
    user = db.get(WechatUser, openid)
    if user is not None:
        user.reminders = on
        db.commit()


def log_download(db: Session, openid: str, cert: CertificateRow, fmt: str, purpose: str, now: datetime) -> None:
    """Record one download (or display) of a certificate file, committed at once."""
    db.add(DownloadLog(openid=openid, certificate_id=cert.id, fmt=fmt, purpose=purpose[:50], at=to_utc(now)))
    db.commit()
