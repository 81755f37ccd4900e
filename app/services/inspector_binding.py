"""Binding an inspector's WeChat account to their staff account with a one-time code, and unbinding.

The back office shows a six-digit code (and a QR code carrying it) for ten minutes. The inspector
sends it in the official account's chat ("绑定 123456") or scans the QR code with 扫码查询; their
openid is then bound to the staff account. The code is kept only as a keyed hash in the store, works
once, and tries are rate-limited per WeChat account and overall, so guessing a live code is hopeless.
Both binding and unbinding are audited. Rules: app/domain/inspection.py, docs/rules.md ("Inspectors").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.inspection import (
    BIND_CODE_DIGITS,
    BIND_CODE_SECONDS,
    INSPECTOR,
    INSPECTOR_ROLE,
    bind_code_usable,
    view_for,
)
from app.domain.pii import PiiCipher
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore
from app.services import audit, ratelimit
from app.services.ratelimit import Hit, Rule
from app.services.staff import StaffError, StaffView, parse_roles
from app.services.timeutil import utc_naive
from app.storage.models import Staff

TRIES_PER_ACCOUNT = Rule("inspector_bind:openid", limit=5, window=600)
TRIES_OVERALL = Rule("inspector_bind:all", limit=300, window=600)  # many accounts guessing together
BIND_QR_PREFIX = "ECERT-BIND:"  # what the QR code says: scanned with 扫码查询 it binds like the typed code

BOUND = "bound"
UNKNOWN = "unknown"        # no such code, expired or used
LIMITED = "limited"        # too many tries
TAKEN = "taken"            # this WeChat account is another staff member's


@dataclass(frozen=True)
class Issued:
    """A code to show and when it stops working."""

    code: str
    expires_at: datetime

    @property
    def qr_text(self) -> str:
        return BIND_QR_PREFIX + self.code


@dataclass(frozen=True)
class Outcome:
    """What a binding attempt did; `username` is the account bound (for the reply)."""

    result: str
    username: str = ""


def _code_key(pii: PiiCipher, code: str) -> str:
    return rediskeys.inspector_bind_code(pii.blind_index("inspector_bind", code))


def issue_code(store: KVStore, pii: PiiCipher, actor: StaffView, staff: Staff, now: datetime) -> Issued:
    """A fresh code for an inspector account (the caller checked the admin may manage it)."""
    if INSPECTOR_ROLE not in parse_roles(staff.roles):
        raise StaffError("only inspector accounts bind WeChat", "只有执法人员账号可以绑定微信")
    code = "".join(secrets.choice("0123456789") for _ in range(BIND_CODE_DIGITS))
    store.set(_code_key(pii, code), f"{staff.id}:{int(now.timestamp())}", ttl=BIND_CODE_SECONDS)
    return Issued(code, now + timedelta(seconds=BIND_CODE_SECONDS))


def redeem(db: Session, store: KVStore, pii: PiiCipher, openid: str, code: str, now: datetime) -> Outcome:
    """Bind `openid` to the account the code was issued for; the code is used up either way."""
    if ratelimit.check(store, now, Hit(TRIES_PER_ACCOUNT, openid), Hit(TRIES_OVERALL, "all")) is not None:
        return Outcome(LIMITED)
    key = _code_key(pii, code)
    value = store.get(key)
    if value is None or not store.delete_if_equals(key, value):  # single use, even with two tries at once
        return Outcome(UNKNOWN)
    staff_id, issued = (int(part) for part in value.decode().split(":"))
    staff = db.get(Staff, staff_id)
    if staff is None or not staff.active or not bind_code_usable(datetime.fromtimestamp(issued, now.tzinfo), now):
        return Outcome(UNKNOWN)
    other = db.scalar(select(Staff).where(Staff.wechat_openid == openid))
    if other is not None and other.id != staff.id:
        return Outcome(TAKEN)
    staff.wechat_openid, staff.wechat_bound_at = openid, utc_naive(now)
    audit.record(db, audit.staff_actor(staff.username), "inspector.bind", f"openid:{openid}", {"via": "wechat"}, now)
    return Outcome(BOUND, staff.username)


def unbind(db: Session, actor: StaffView, staff: Staff, now: datetime) -> bool:
    """Forget the account's WeChat binding (one click in the back office); False when none was bound."""
    if staff.wechat_openid is None:
        return False
    audit.record(db, audit.staff_actor(actor.username), "inspector.unbind", audit.staff_actor(staff.username),
                 {"openid": staff.wechat_openid}, now)
    staff.wechat_openid, staff.wechat_bound_at = None, None
    return True


def inspector_for(db: Session, openid: str | None) -> Staff | None:
    """The active inspector bound to this WeChat account, or None (everyone else sees the public view)."""
    if not openid:
        return None
    staff = db.scalar(select(Staff).where(Staff.wechat_openid == openid))
    if staff is None:
        return None
    return staff if view_for(parse_roles(staff.roles), staff.active, True) == INSPECTOR else None
