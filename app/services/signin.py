"""The password step of a back-office sign-in, and failed attempts counted per username.

Unknown and known usernames must look the same from outside (issue 12): the same page, the same
status, the same lockout and the same work. So failures are counted per keyed hash of the typed
username whether or not an account has it, and every attempt makes exactly one scrypt check — of
the account's hash, or of a dummy one — before anything is decided, locked accounts included.
Wrong second-factor codes count toward the same lock (app.web.admin.signin).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.errors import UserError
from app.domain.pii import PiiCipher
from app.domain.signin import FAILURE_MEMORY, Failures, after_failure, is_locked
from app.services.staff import DUMMY_HASH, password_matches
from app.services.timeutil import utc_naive
from app.storage.models import LoginFailure, Staff
from app.storage.upsert import insert_missing

BAD_CREDENTIALS = "用户名或密码错误"
BAD_CODE = "验证码错误，请重新输入"
LOCKED = "登录失败次数过多，账号已锁定，请15分钟后再试"


class LoginRefused(UserError):
    """A sign-in step was refused; `message` is the Chinese text shown on the page."""


def login_key(pii: PiiCipher, username: str) -> str:
    """The keyed hash failures are counted under (case-insensitive, as MariaDB compares usernames)."""
    return pii.blind_index("staff-login", username.strip().lower())


def authenticate(db: Session, pii: PiiCipher, username: str, password: str, now: datetime) -> Staff:
    """The active account with these credentials, or LoginRefused; the caller commits either way.

    A successful password does not clear the failures: only a completed sign-in does (`clear`), so
    wrong codes after a right password still add up to the lock.
    """
    at, key = utc_naive(now), login_key(pii, username)
    staff = db.scalar(select(Staff).where(Staff.username == username.strip()))
    usable = staff if staff is not None and staff.active else None
    matches = password_matches(usable.password_hash if usable else DUMMY_HASH, password)
    if is_locked(failures_of(db, key), at):
        raise LoginRefused(LOCKED)
    if usable is None or not matches:
        raise LoginRefused(LOCKED if record_failure(db, key, at) else BAD_CREDENTIALS)
    return usable


def failures_of(db: Session, key: str) -> Failures | None:
    """The stored counter for a username key, if any."""
    row = db.get(LoginFailure, key)
    return None if row is None else Failures(row.failures, row.last_failed_at, row.locked_until)


def locked(db: Session, pii: PiiCipher, username: str, now: datetime) -> bool:
    """Whether sign-in for this username is locked now."""
    return is_locked(failures_of(db, login_key(pii, username)), utc_naive(now))


def record_failure(db: Session, key: str, at: datetime) -> bool:
    """Count one failure under the row's lock; True when it locked the username."""
    insert_missing(db, LoginFailure, {"key": key, "failures": 0, "last_failed_at": at})
    row = db.scalar(select(LoginFailure).where(LoginFailure.key == key).with_for_update())
    assert row is not None
    after = after_failure(Failures(row.failures, row.last_failed_at, row.locked_until), at)
    row.failures, row.locked_until = after.count, after.locked_until
    row.last_failed_at = at
    _forget_old(db, at)
    return after.locked_until is not None


def record_code_failure(db: Session, pii: PiiCipher, username: str, now: datetime) -> bool:
    """A wrong second-factor code counts like a wrong password; True when it locked the account."""
    return record_failure(db, login_key(pii, username), utc_naive(now))


def clear(db: Session, pii: PiiCipher, username: str) -> None:
    """A completed sign-in starts the count over."""
    db.execute(delete(LoginFailure).where(LoginFailure.key == login_key(pii, username)))


def _forget_old(db: Session, at: datetime) -> None:
    """Counters idle for a day are worth nothing (FAILURE_MEMORY) unless still locked: drop them."""
    stale = at - FAILURE_MEMORY - timedelta(minutes=1)
    db.execute(delete(LoginFailure).where(LoginFailure.last_failed_at < stale)
               .where((LoginFailure.locked_until.is_(None)) | (LoginFailure.locked_until < at)))
