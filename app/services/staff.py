"""Back-office staff accounts: creation with scrypt-hashed passwords, login with lockout."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.catalogue import Catalogue
from app.domain.errors import UserError
from app.services.timeutil import utc_naive
from app.storage.models import Staff

# reviewer: 人工审核 and corrections; operator: imports and certificate administration; admin: staff,
# settings and approving irreversible actions; inspector: 执法人员 who check certificates on site.
ROLES = ("reviewer", "operator", "admin", "inspector")
ROLE_LABELS = {"reviewer": "审核员", "operator": "业务员", "admin": "管理员", "inspector": "执法人员"}
ALL_AUTHORITIES = "*"  # an account of the city bureau that sees every 签发机关
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# Checked against when the username is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")

BAD_CREDENTIALS = "用户名或密码错误"
LOCKED = "登录失败次数过多，账号已锁定，请15分钟后再试"


class StaffError(ValueError):
    """A staff account cannot be created as asked; the message says why (English, for operators)."""


class LoginRefused(UserError):
    """A login was refused; `message` is the Chinese text shown on the login page."""


@dataclass(frozen=True)
class StaffView:
    """What a request needs to know about the signed-in staff member."""

    id: int
    username: str
    roles: frozenset[str]
    authority: str  # canonical 签发机关, or ALL_AUTHORITIES

    def has(self, *roles: str) -> bool:
        """Whether the account holds any of these roles."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def all_authorities(self) -> bool:
        return self.authority == ALL_AUTHORITIES

    def sees(self, authority: str) -> bool:
        """Whether a record of this 签发机关 is within the account's scope (else it is a 404)."""
        return self.all_authorities or authority == self.authority

    @property
    def scope_label(self) -> str:
        return "全部签发机关" if self.all_authorities else self.authority

    @property
    def role_labels(self) -> str:
        return "、".join(ROLE_LABELS[r] for r in ROLES if r in self.roles)


def view_of(staff: Staff) -> StaffView:
    """A detached, read-only copy of a staff row."""
    return StaffView(staff.id, staff.username, parse_roles(staff.roles), staff.authority)


def parse_roles(text: str) -> frozenset[str]:
    """The stored role set (unknown names are dropped rather than trusted)."""
    return frozenset(r for r in text.split(",") if r in ROLES)


def roles_text(roles: Iterable[str]) -> str:
    """A role set as stored: known roles only, in ROLES order; raises StaffError when empty or unknown."""
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown or not wanted:
        raise StaffError(f"roles must be one or more of {', '.join(ROLES)}")
    return ",".join(r for r in ROLES if r in wanted)


def canonical_authority(name: str, catalogue: Catalogue | None = None) -> str:
    """The 签发机关's canonical name (or "*" for all); unknown names are refused so a typo cannot hide
    requests."""
    if name.strip() in (ALL_AUTHORITIES, "全部"):
        return ALL_AUTHORITIES
    found = (catalogue or Catalogue.load_default()).authority(name.strip())
    if found is None:
        raise StaffError(f"unknown issuing authority {name!r} (see app/domain/data/authorities.json)")
    return found.name


def create_staff(session: Session, username: str, password: str, roles: Iterable[str] | str, authority: str,
                 now: datetime) -> Staff:
    """Add a staff account; the password is stored only as a scrypt hash."""
    if not USERNAME_PATTERN.match(username):
        raise StaffError("username must be 3-64 letters, digits, '.', '_' or '-'")
    stored_roles = roles_text([roles] if isinstance(roles, str) else roles)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise StaffError(f"username {username!r} is already taken")
    staff = Staff(username=username, password_hash=generate_password_hash(password, method="scrypt"),
                  roles=stored_roles, authority=canonical_authority(authority), active=True, failed_logins=0,
                  created_at=utc_naive(now))
    session.add(staff)
    session.flush()
    return staff


def list_staff(session: Session) -> list[Staff]:
    """Every staff account, by username."""
    return list(session.scalars(select(Staff).order_by(Staff.username)))


def authenticate(session: Session, username: str, password: str, now: datetime) -> Staff:
    """The active staff member with these credentials; counts failures and locks after five.

    The caller commits in both outcomes: a failed attempt must be remembered.
    """
    at = utc_naive(now)
    staff = session.scalar(select(Staff).where(Staff.username == username.strip()).with_for_update())
    if staff is None or not staff.active:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginRefused(BAD_CREDENTIALS)
    if staff.locked_until is not None and staff.locked_until > at:
        raise LoginRefused(LOCKED)
    if not check_password_hash(staff.password_hash, password):
        _record_failure(staff, at)
        raise LoginRefused(LOCKED if staff.locked_until else BAD_CREDENTIALS)
    staff.failed_logins, staff.locked_until, staff.last_login_at = 0, None, at
    return staff


def _record_failure(staff: Staff, at: datetime) -> None:
    """Count a failed password; the fifth in a row locks the account for 15 minutes."""
    staff.failed_logins = (staff.failed_logins or 0) + 1
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        staff.failed_logins, staff.locked_until = 0, at + LOCKOUT
    else:
        staff.locked_until = None


def active_staff(session: Session, staff_id: int) -> Staff | None:
    """The staff member behind a session, if the account still exists and is active."""
    staff = session.get(Staff, staff_id)
    return staff if staff is not None and staff.active else None
