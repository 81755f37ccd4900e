"""Back-office staff accounts: roles, scope, scrypt-hashed passwords.

Signing in (password, lockout, second factor) is app.services.signin and app.services.twofactor;
changes an admin makes in the browser are app.services.staff_admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.catalogue import Catalogue
from app.domain.staffpolicy import ALL_AUTHORITIES
from app.services.timeutil import utc_naive
from app.storage.models import Staff

# reviewer: 人工审核 and corrections; operator: imports and certificate administration; admin: staff,
# settings and approving irreversible actions; inspector: 执法人员 who check certificates on site.
ROLES = ("reviewer", "operator", "admin", "inspector")
ROLE_LABELS = {"reviewer": "审核员", "operator": "业务员", "admin": "管理员", "inspector": "执法人员"}
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# Checked against when there is no usable account, so every sign-in attempt costs one scrypt check.
DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class StaffError(ValueError):
    """An account cannot be created or changed as asked: str() says why in English (the command line),
    `message` in Chinese (the back office)."""

    def __init__(self, english: str, message: str) -> None:
        self.message = message
        super().__init__(english)


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
        raise StaffError(f"roles must be one or more of {', '.join(ROLES)}", "请至少选择一个角色")
    return ",".join(r for r in ROLES if r in wanted)


def canonical_authority(name: str, catalogue: Catalogue | None = None) -> str:
    """The 签发机关's canonical name (or "*" for all); unknown names are refused so a typo cannot hide
    requests."""
    if name.strip() in (ALL_AUTHORITIES, "全部"):
        return ALL_AUTHORITIES
    found = (catalogue or Catalogue.load_default()).authority(name.strip())
    if found is None:
        raise StaffError(f"unknown issuing authority {name!r} (see app/domain/data/authorities.json)",
                         f"没有名为“{name.strip()}”的签发机关")
    return found.name


def create_staff(session: Session, username: str, password: str, roles: Iterable[str] | str, authority: str,
                 now: datetime, *, temporary: bool = False) -> Staff:
    """Add a staff account; the password is stored only as a scrypt hash. A `temporary` password (one
    an admin was shown) must be changed at the first sign-in."""
    if not USERNAME_PATTERN.match(username):
        raise StaffError("username must be 3-64 letters, digits, '.', '_' or '-'",
                         "用户名须为3–64位英文字母、数字或 . _ -")
    stored_roles = roles_text([roles] if isinstance(roles, str) else roles)
    check_new_password(password)
    if session.scalar(select(Staff.id).where(func.lower(Staff.username) == username.lower())) is not None:
        raise StaffError(f"username {username!r} is already taken", f"用户名 {username} 已被使用")
    staff = Staff(username=username, password_hash=hash_password(password), roles=stored_roles,
                  authority=canonical_authority(authority), active=True, must_change_password=temporary,
                  created_at=utc_naive(now))
    session.add(staff)
    session.flush()
    return staff


def check_new_password(password: str) -> None:
    """Refuse a password too short to keep (StaffError)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must be at least {MIN_PASSWORD_LENGTH} characters",
                         f"密码至少{MIN_PASSWORD_LENGTH}位")


def hash_password(password: str) -> str:
    """The stored form of a password: scrypt, salted."""
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str, password: str) -> bool:
    """The one password check of the back office (every sign-in attempt makes exactly one)."""
    return check_password_hash(password_hash, password)


def list_staff(session: Session) -> list[Staff]:
    """Every staff account, by username."""
    return list(session.scalars(select(Staff).order_by(Staff.username)))


def active_staff(session: Session, staff_id: int) -> Staff | None:
    """The staff member behind a session, if the account still exists and is active."""
    staff = session.get(Staff, staff_id)
    return staff if staff is not None and staff.active else None
