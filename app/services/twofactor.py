"""The second sign-in factor: a TOTP authenticator app (RFC 6238) and single-use recovery codes.

The secret is encrypted at rest like personal data (app.domain.pii); a code's 30-second step is
accepted once, so a code read over a shoulder cannot be replayed. Recovery codes are shown once and
kept only as keyed hashes. Time comes from the app's clock, never from the machine directly.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.domain.pii import PiiCipher
from app.domain.signin import code_step_accepted
from app.services.timeutil import utc_naive
from app.storage.models import RecoveryCode, Staff

ISSUER = "电子证书管理后台"
SECRET_CONTEXT = b"staff.totp_secret"
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
RECOVERY_LENGTH = 10  # about 49 bits each
DRIFT_STEPS = 1  # a phone clock 30 seconds off still signs in


def new_secret() -> str:
    """A fresh 160-bit secret in base32, as authenticator apps expect."""
    return pyotp.random_base32()


def pending_secret(staff: Staff, pii: PiiCipher) -> str:
    """The secret being enrolled: kept across reloads of the enrolment page until confirmed."""
    if staff.totp_enabled_at is not None:
        raise ValueError("two-factor sign-in is already enabled; reset it first")
    if staff.totp_secret_enc is None:
        staff.totp_secret_enc = pii.encrypt(new_secret(), SECRET_CONTEXT)
    return secret_of(staff, pii)


def secret_of(staff: Staff, pii: PiiCipher) -> str:
    assert staff.totp_secret_enc is not None
    return pii.decrypt_text(staff.totp_secret_enc, SECRET_CONTEXT)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI the QR code carries (Google Authenticator's Key Uri Format)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, drawn here: no image service, no CDN."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return str(image.to_string(encoding="unicode"))


def clean_code(text: str) -> str:
    """What the person typed, without spaces or dashes, lower-case."""
    return "".join(ch for ch in text if ch.isalnum()).lower()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose code this is (allowing one step of clock drift), or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return step + offset
    return None


def check_code(db: Session, staff: Staff, pii: PiiCipher, code: str, now: datetime) -> bool:
    """Accept a code of the staff member's authenticator once; the caller commits.

    The step is recorded by compare-and-set on the value read: of two posts of one code at the same
    moment, the second finds the step changed and is refused (on SQLite and MariaDB alike).
    """
    if staff.totp_secret_enc is None:
        return False
    step, seen = matching_step(secret_of(staff, pii), clean_code(code), now), staff.totp_last_step
    if step is None or not code_step_accepted(step, seen):
        return False
    claimed = db.execute(update(Staff).where(Staff.id == staff.id, Staff.totp_last_step.is_not_distinct_from(seen))
                         .values(totp_last_step=step).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(staff, "totp_last_step", step)
    return True


def confirm_enrolment(db: Session, staff: Staff, pii: PiiCipher, code: str, now: datetime) -> list[str] | None:
    """Enable 2FA when the first code matches; returns the new recovery codes (shown once), else None."""
    if staff.totp_enabled_at is not None or not check_code(db, staff, pii, code, now):
        return None
    staff.totp_enabled_at = utc_naive(now)
    return new_recovery_codes(db, staff, pii, now)


def new_recovery_codes(db: Session, staff: Staff, pii: PiiCipher, now: datetime) -> list[str]:
    """Replace the staff member's recovery codes with ten fresh ones; only their hashes are kept."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_COUNT)]
    db.add_all(RecoveryCode(staff_id=staff.id, code_hash=_recovery_hash(pii, staff.id, code),
                            created_at=utc_naive(now)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def use_recovery_code(db: Session, staff: Staff, pii: PiiCipher, code: str, now: datetime) -> bool:
    """Spend one unused recovery code; the caller commits."""
    cleaned = clean_code(code)
    if len(cleaned) != RECOVERY_LENGTH:
        return False
    spent = db.execute(update(RecoveryCode).where(  # one statement: a code posted twice at once is spent once
        RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == _recovery_hash(pii, staff.id, cleaned),
        RecoveryCode.used_at.is_(None)).values(used_at=utc_naive(now)).execution_options(synchronize_session=False))
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


def recovery_codes_left(db: Session, staff_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))) or 0)


def reset(db: Session, staff: Staff) -> None:
    """Forget the authenticator and recovery codes: the next sign-in enrols again."""
    staff.totp_secret_enc = staff.totp_enabled_at = staff.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))


def _recovery_hash(pii: PiiCipher, staff_id: int, cleaned: str) -> str:
    return pii.blind_index("staff-recovery", str(staff_id), cleaned)
