"""What an admin does to colleagues' accounts in the browser, each change audited.

Scope rules are app.domain.staffpolicy: an admin of one 签发机关 finds only that authority's
accounts (others are None here and a 404 on the page) and cannot grant "all authorities". A new
account and a reset password get a temporary password, shown to the admin once and changed at the
next sign-in. Disabling an account or resetting its password or second factor ends its sessions.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.pii import PiiCipher
from app.domain.staffpolicy import Change, change_refusal, may_manage, reset_refusal
from app.services import audit, signin, staff_sessions, twofactor
from app.services.staff import (
    StaffError,
    StaffView,
    canonical_authority,
    check_new_password,
    create_staff,
    hash_password,
    parse_roles,
    password_matches,
    roles_text,
)
from app.storage.models import Staff

TEMPORARY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Issued:
    """An account and the temporary password to hand over (shown once, never stored in the clear)."""

    staff: Staff
    password: str


def temporary_password() -> str:
    """12 random characters without look-alikes, in groups of four: about 69 bits."""
    chars = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in (0, 4, 8))


def visible(db: Session, actor: StaffView) -> list[Staff]:
    """The accounts the admin manages, by username."""
    statement = select(Staff).order_by(Staff.username)
    if not actor.all_authorities:
        statement = statement.where(Staff.authority == actor.authority)
    return list(db.scalars(statement))


def locked_usernames(db: Session, pii: PiiCipher, accounts: Iterable[Staff], now: datetime) -> set[str]:
    """Which of these accounts cannot sign in for now (too many failures); a password reset lifts it."""
    return {staff.username for staff in accounts if signin.locked(db, pii, staff.username, now)}


def find(db: Session, actor: StaffView, staff_id: int) -> Staff | None:
    """An account the admin manages, or None (a 404 for the page)."""
    if not 0 < staff_id < 2**31:  # larger numbers overflow the database driver
        return None
    staff = db.get(Staff, staff_id)
    return staff if staff is not None and may_manage(actor.authority, staff.authority) else None


def _refuse(actor: StaffView, change: Change, target: Staff | None = None) -> None:
    is_self = target is not None and target.id == actor.id
    refusal = change_refusal(actor.authority, change, is_self=is_self,
                             self_roles=parse_roles(target.roles) if target is not None else frozenset())
    if refusal:
        raise StaffError(refusal, refusal)


def _refuse_reset(actor: StaffView, staff: Staff, what: str) -> None:
    refusal = reset_refusal(what, is_self=staff.id == actor.id)
    if refusal:
        raise StaffError(refusal, refusal)


def create(db: Session, actor: StaffView, username: str, roles: Iterable[str], authority: str, now: datetime,
           ) -> Issued:
    """A new account with a temporary password; it enrols its authenticator at the first sign-in."""
    wanted = frozenset(roles)
    _refuse(actor, Change(wanted, canonical_authority(authority)))
    password = temporary_password()
    staff = create_staff(db, username.strip(), password, wanted, authority, now, temporary=True)
    audit.record(db, audit.staff_actor(actor.username), "staff.create", audit.staff_actor(staff.username),
                 {"roles": staff.roles, "authority": staff.authority}, now)
    return Issued(staff, password)


def update(db: Session, actor: StaffView, staff: Staff, roles: Iterable[str], authority: str, now: datetime,
           ) -> bool:
    """Change roles and scope; True when something changed (audited with before and after)."""
    wanted, scope = frozenset(roles), canonical_authority(authority)
    _refuse(actor, Change(wanted, scope, staff.active), staff)
    stored = roles_text(wanted)
    if (stored, scope) == (staff.roles, staff.authority):
        return False
    detail = {"before": {"roles": staff.roles, "authority": staff.authority},
              "after": {"roles": stored, "authority": scope}}
    staff.roles, staff.authority = stored, scope
    audit.record(db, audit.staff_actor(actor.username), "staff.update", audit.staff_actor(staff.username),
                 detail, now)
    return True


def set_active(db: Session, actor: StaffView, staff: Staff, active: bool, now: datetime) -> None:
    """Disable (ending every session at once) or re-enable an account."""
    _refuse(actor, Change(parse_roles(staff.roles), staff.authority, active), staff)
    if staff.active == active:
        return
    staff.active = active
    if not active:
        staff_sessions.end_all(db, staff.id, now, "disabled")
    audit.record(db, audit.staff_actor(actor.username), "staff.enable" if active else "staff.disable",
                 audit.staff_actor(staff.username), {}, now)


def reset_password(db: Session, pii: PiiCipher, actor: StaffView, staff: Staff, now: datetime) -> Issued:
    """A new temporary password; the account's sessions end and a lock on its username is lifted."""
    _refuse_reset(actor, staff, "password")
    password = temporary_password()
    staff.password_hash, staff.must_change_password = hash_password(password), True
    staff_sessions.end_all(db, staff.id, now, "reset")
    signin.clear(db, pii, staff.username)
    audit.record(db, audit.staff_actor(actor.username), "staff.reset_password", audit.staff_actor(staff.username),
                 {}, now)
    return Issued(staff, password)


def reset_two_factor(db: Session, actor: StaffView, staff: Staff, now: datetime) -> None:
    """Forget a colleague's authenticator (a lost phone): the next sign-in enrols a new one."""
    _refuse_reset(actor, staff, "two_factor")
    forget_authenticator(db, staff, audit.staff_actor(actor.username), now)


def forget_authenticator(db: Session, staff: Staff, by: str, now: datetime) -> None:
    """Drop the authenticator and recovery codes, end the sessions, audit (`by`: the actor)."""
    twofactor.reset(db, staff)
    staff_sessions.end_all(db, staff.id, now, "reset")
    audit.record(db, by, "staff.reset_2fa", audit.staff_actor(staff.username), {}, now)


def change_own_password(db: Session, staff: Staff, new: str, repeat: str, now: datetime,
                        current: str | None = None) -> None:
    """Replace one's own password. `current` is asked unless the password was just used (a temporary one)."""
    if current is not None and not password_matches(staff.password_hash, current):
        raise StaffError("the current password is wrong", "当前密码不正确")
    if new != repeat:
        raise StaffError("the two passwords differ", "两次输入的新密码不一致")
    check_new_password(new)
    if password_matches(staff.password_hash, new):
        raise StaffError("the new password equals the old one", "新密码不能与原密码相同")
    staff.password_hash, staff.must_change_password = hash_password(new), False
    audit.record(db, audit.staff_actor(staff.username), "staff.password_changed", audit.staff_actor(staff.username),
                 {}, now)
